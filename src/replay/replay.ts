// Plays readings into a running FleetQL server as a device would: batches of up to 500,
// each with its own batchId, resent with the same batchId after a network error or a
// timeout, so that a batch the server stored before the connection dropped is not stored twice.
import { createHash } from "node:crypto";

export const REPLAY_BATCH_SIZE = 500;

export interface ReplayReading {
  metric: string;
  value: number;
  recordedAt: string;
}

export interface ReplayOptions {
  url: string;
  apiKey: string;
  readings: ReplayReading[];
  timeoutMs?: number;
  maxAttempts?: number;
  log?: (line: string) => void;
}

export interface ReplayResult {
  accepted: number;
  batches: number;
  duplicates: number;
  retries: number;
}

export class ReplayError extends Error {}

interface GraphQLAnswer {
  // The shape depends on the operation; callers read the one field they asked for.
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super(message);
  }
}

const retryAfterMs = (response: Response) => Math.min(Number(response.headers.get("retry-after")) || 0, 60) * 1000;

/** One GraphQL call; throws RetryableError for anything worth resending. */
export async function callGraphQL(url: string, query: string, variables: Record<string, unknown>, options: { token?: string; timeoutMs?: number } = {}): Promise<GraphQLAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(options.token && { authorization: `Bearer ${options.token}` }) },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new RetryableError(`network error: ${(error as Error).cause ?? (error as Error).message}`);
  }
  let answer: GraphQLAnswer;
  try {
    answer = (await response.json()) as GraphQLAnswer;
  } catch (error) {
    if (response.status >= 500 || response.status === 429) throw new RetryableError(`HTTP ${response.status}`, retryAfterMs(response));
    throw new RetryableError(`unreadable answer (HTTP ${response.status}): ${(error as Error).message}`);
  }
  if (response.status >= 500 || response.status === 429) {
    const code = answer.errors?.[0]?.extensions?.code;
    throw new RetryableError(`HTTP ${response.status}${code ? ` ${code}` : ""}`, retryAfterMs(response));
  }
  return answer;
}

const REPORT = `mutation Replay($apiKey: String!, $readings: [ReadingInput!]!, $batchId: String) {
  reportReadings(apiKey: $apiKey, readings: $readings, batchId: $batchId) { accepted duplicate }
}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const { readings, log = () => {} } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const result: ReplayResult = { accepted: 0, batches: 0, duplicates: 0, retries: 0 };

  for (let start = 0, index = 0; start < readings.length; start += REPLAY_BATCH_SIZE, index++) {
    const batch = readings.slice(start, start + REPLAY_BATCH_SIZE);
    // Named by its content: a rerun sends the same batches under the same ids and stores nothing
    // twice, even after rows were appended to the file (all but its last, partial batch recur).
    const batchId = `replay-${createHash("sha256").update(JSON.stringify(batch)).digest("base64url").slice(0, 32)}`;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await callGraphQL(options.url, REPORT, { apiKey: options.apiKey, readings: batch, batchId }, { timeoutMs: options.timeoutMs });
        const error = answer.errors?.[0];
        if (error || !answer.data?.reportReadings) {
          throw new ReplayError(`batch ${index} refused: ${error?.extensions?.code ?? "ERROR"}: ${error?.message ?? "no answer"}`);
        }
        result.accepted += answer.data.reportReadings.accepted;
        result.batches++;
        if (answer.data.reportReadings.duplicate) result.duplicates++;
        break;
      } catch (error) {
        if (!(error instanceof RetryableError) || attempt >= maxAttempts) {
          if (error instanceof RetryableError) throw new ReplayError(`batch ${index} failed after ${attempt} attempts: ${error.message}`);
          throw error;
        }
        result.retries++;
        const delay = Math.max(error.retryAfterMs, Math.min(100 * 2 ** (attempt - 1), 5000));
        log(`batch ${index}: ${error.message}; resending with the same batchId in ${delay} ms`);
        await sleep(delay);
      }
    }
  }
  return result;
}
