// Calls made with a device's ended keys (rotated out, expired, revoked) are counted per key
// and hour for the owner's audit trail. A leaked old key can be tried thousands of times a
// second, so the counts gather in memory and are added to the database once per interval.
import type { PrismaClient } from "../generated/prisma/client.js";
import { isUniqueViolation } from "../errors.js";
import type { Clock } from "../services.js";
import type { EndedKey } from "./apiKeyVerifier.js";

const HOUR_MS = 3_600_000;

interface Count extends EndedKey {
  hour: Date;
  count: number;
}

/** Prisma's code for a row whose parent is gone: the key was deleted with its account. */
const isMissingParent = (error: unknown) => (error as { code?: unknown })?.code === "P2003" || (error as { code?: unknown })?.code === "P2025";

export class KeyRefusalCounter {
  private pending = new Map<string, Count>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(this.onError), this.intervalMs);
    this.timer.unref();
  }

  record(key: EndedKey): void {
    const hour = Math.floor(this.clock.now().getTime() / HOUR_MS) * HOUR_MS;
    const slot = `${key.apiKeyId} ${hour}`;
    const count = this.pending.get(slot);
    if (count) count.count++;
    else this.pending.set(slot, { ...key, hour: new Date(hour), count: 1 });
  }

  /** Adds what was counted to the database; counts that could not be written wait for the next try. */
  flush(): Promise<void> {
    const run = this.flushing.then(async () => {
      const batch = this.pending;
      this.pending = new Map();
      try {
        for (const [slot, count] of batch) {
          try {
            await this.add(count);
          } catch (error) {
            if (!isMissingParent(error)) throw error;
          }
          batch.delete(slot);
        }
      } catch (error) {
        for (const [slot, count] of batch) {
          const newer = this.pending.get(slot);
          this.pending.set(slot, newer ? { ...count, count: count.count + newer.count } : count);
        }
        throw error;
      }
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async add({ apiKeyId, deviceId, hour, count }: Count): Promise<void> {
    const where = { apiKeyId_hour: { apiKeyId, hour } };
    const upsert = () => this.prisma.keyRefusal.upsert({ where, create: { apiKeyId, deviceId, hour, count }, update: { count: { increment: count } } });
    try {
      await upsert();
    } catch (error) {
      // Another instance created the same hour's row between our look and our insert.
      if (!isUniqueViolation(error)) throw error;
      await upsert();
    }
  }
}
