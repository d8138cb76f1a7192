// State that instances share through Redis when REDIS_URL is set: rate-limit buckets (one
// atomic script per take, so N instances allow what one would) and key changes (published
// so that other instances evict at once rather than at their next KeyEvent poll). Redis is
// an accelerator, never a dependency: while it cannot be reached every instance counts on
// its own and learns of key changes by polling, and requests carry on.
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { RateLimiter, type Limiter, type RateLimit } from "../rateLimit.js";
import type { Clock } from "../services.js";

// Refills the bucket to `now`, takes a token when asked and one is there, and answers
// whether it did and what is left (as text: Redis would truncate a Lua number to an integer).
const TOKEN_BUCKET = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local taken = 0
if ARGV[4] == '1' then
  if tokens >= 1 then
    tokens = tokens - 1
    taken = 1
  end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
end
return { taken, tostring(tokens) }
`;

type BucketScript = (key: string, now: number, rate: number, burst: number, take: "0" | "1") => Promise<[number, string]>;

export interface SharedState {
  limiter(name: string, limit: RateLimit): Limiter;
  /** Tells the other instances that a device's keys changed. */
  publishKeyChange(deviceId: string): void;
  /** Calls `onChange` for key changes published by other instances. */
  subscribeKeyChanges(onChange: (deviceId: string) => void): Promise<void>;
  close(): Promise<void>;
}

export function connectSharedState(url: string, options: { prefix: string; clock: Clock; logger: Logger }): SharedState {
  const { prefix, clock, logger } = options;
  const clientOptions = {
    // Fail fast while Redis is away: the caller falls back instead of waiting in a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
  const redis = new Redis(url, clientOptions);
  const subscriber = new Redis(url, { ...clientOptions, enableOfflineQueue: true });
  let warned = false;
  const warn = (error: unknown) => {
    if (warned) return;
    warned = true;
    logger.warn({ err: error }, "Redis unreachable: counting and invalidating on this instance alone until it is back");
  };
  for (const client of [redis, subscriber]) {
    client.on("error", warn);
    client.on("ready", () => {
      if (warned) logger.info("Redis reachable again: sharing state with the other instances");
      warned = false;
    });
  }
  redis.defineCommand("fleetqlBucket", { numberOfKeys: 1, lua: TOKEN_BUCKET });
  const bucket = (redis as unknown as { fleetqlBucket: BucketScript }).fleetqlBucket.bind(redis);
  const channel = `${prefix}key-changes`;
  const instanceId = createHash("sha256").update(`${process.pid}:${Math.random()}`).digest("hex").slice(0, 16);

  return {
    limiter(name, limit) {
      const local = new RateLimiter(limit, clock);
      // Hashed: limiter keys include email addresses, which have no business in Redis.
      const keyOf = (key: string) => `${prefix}rl:${name}:${createHash("sha256").update(key).digest("base64url")}`;
      const waitFor = (tokens: number) => Math.max(1, Math.ceil((1 - tokens) / limit.perSecond));
      const ask = async (key: string, take: boolean, fallback: () => number): Promise<number> => {
        if (redis.status !== "ready") return fallback();
        try {
          const [taken, left] = await bucket(keyOf(key), clock.now().getTime(), limit.perSecond, limit.burst, take ? "1" : "0");
          const tokens = Number(left);
          if (take) return taken === 1 ? 0 : waitFor(tokens);
          return tokens >= 1 ? 0 : waitFor(tokens);
        } catch (error) {
          warn(error);
          return fallback();
        }
      };
      return {
        peek: (key) => ask(key, false, () => local.peek(key)),
        take: (key) => ask(key, true, () => local.take(key)),
      };
    },

    publishKeyChange(deviceId) {
      if (redis.status !== "ready") return;
      redis.publish(channel, `${instanceId} ${deviceId}`).catch(warn);
    },

    async subscribeKeyChanges(onChange) {
      subscriber.on("message", (_channel: string, message: string) => {
        const [from, deviceId] = message.split(" ");
        if (from !== instanceId && deviceId) onChange(deviceId);
      });
      // Not awaited to the end: an instance starts without Redis and subscribes once it is back.
      subscriber.subscribe(channel).catch(warn);
    },

    async close() {
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
