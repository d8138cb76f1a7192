// Token buckets held in memory, one per key (a device, a client address). A bucket refills
// continuously at `perSecond` up to `burst`; a refused take says how long until one token.
import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";
import { ERROR_STATUS } from "./errors.js";
import type { Clock } from "./services.js";

export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** A rate limit per key: held in this process, or shared between instances (src/shared). */
export interface Limiter {
  /** Seconds until the key's next token (0: one is there), without taking it. */
  peek(key: string): number | Promise<number>;
  /** Takes one token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string): number | Promise<number>;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter implements Limiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until the key's next token (0: one is there), without taking it. */
  peek(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = this.refilled(bucket, this.clock.now().getTime());
    return tokens >= 1 ? 0 : this.waitFor(tokens);
  }

  /** Takes one token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string): number {
    const now = this.clock.now().getTime();
    let bucket = this.buckets.get(key);
    if (bucket) {
      bucket.tokens = this.refilled(bucket, now);
      bucket.updatedAt = now;
    } else {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
      bucket = { tokens: this.limit.burst, updatedAt: now };
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.waitFor(bucket.tokens);
  }

  private refilled(bucket: Bucket, now: number): number {
    return Math.min(this.limit.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.limit.perSecond);
  }

  private waitFor(tokens: number): number {
    return Math.max(1, Math.ceil((1 - tokens) / this.limit.perSecond));
  }

  /** Drops buckets that have refilled completely (they hold no information), or the oldest. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.refilled(bucket, now) >= this.limit.burst) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
  }
}

export function rateLimited(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(`Too many attempts; retry in ${retryAfterSeconds} s.`, {
    extensions: {
      code: "RATE_LIMITED",
      retryAfterSeconds,
      http: { status: ERROR_STATUS.RATE_LIMITED, headers: new HeaderMap([["retry-after", String(retryAfterSeconds)]]) },
    },
  });
}

/** Takes a token or throws RATE_LIMITED with Retry-After. */
export async function enforce(limiter: Limiter, key: string): Promise<void> {
  const wait = await limiter.take(key);
  if (wait > 0) throw rateLimited(wait);
}
