// Everything a request may use, built once from the database and configuration.
import { ApiKeyVerifier } from "./auth/apiKeyVerifier.js";
import { KeyRefusalCounter } from "./auth/keyRefusals.js";
import type { JwtSettings } from "./auth/jwt.js";
import { DEFAULT_RATE_LIMITS, type RateLimits } from "./config.js";
import { RateLimiter, type Limiter, type RateLimit } from "./rateLimit.js";
import type { SharedState } from "./shared/redisState.js";
import type { FleetDb } from "./db/types.js";
import { DeviceActivityBuffer } from "./modules/devices/deviceActivity.js";
import { createDevicesService } from "./modules/devices/devices.service.js";
import { createReadingsService } from "./modules/readings/readings.service.js";
import { createUsersService } from "./modules/users/users.service.js";
import { FleetMetrics } from "./observability/metrics.js";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ServicesOptions {
  db: FleetDb;
  jwt: JwtSettings;
  clock?: Clock;
  activityFlushMs: number;
  rateLimits?: RateLimits;
  /** Shared with the other instances (REDIS_URL); null: this instance alone. */
  shared?: SharedState | null;
  onBackgroundError: (error: unknown) => void;
  metrics?: FleetMetrics;
}

export function createServices(options: ServicesOptions) {
  const { db, jwt, clock = systemClock, rateLimits = DEFAULT_RATE_LIMITS } = options;
  const shared = options.shared ?? null;
  const metrics = options.metrics ?? new FleetMetrics();
  const limiter = (name: string, limit: RateLimit): Limiter => (shared ? shared.limiter(name, limit) : new RateLimiter(limit, clock));
  const apiKeys = new ApiKeyVerifier(
    db.prisma,
    clock,
    shared ? (deviceId) => shared.publishKeyChange(deviceId) : undefined,
    () => metrics.keyLookups.inc(),
  );
  const keyRefusals = new KeyRefusalCounter(db.prisma, clock, options.activityFlushMs, options.onBackgroundError);
  const activity = new DeviceActivityBuffer(db.writeDeviceActivity, options.activityFlushMs, options.onBackgroundError);
  return {
    metrics,
    apiKeys,
    keyRefusals,
    activity,
    limits: {
      device: limiter("device", rateLimits.device),
      auth: limiter("auth", rateLimits.auth),
      // logIn per account as well: many addresses guessing one password are limited together.
      account: limiter("account", rateLimits.auth),
      refusedKeys: limiter("refused-keys", rateLimits.refusedKeys),
    },
    users: createUsersService(db.prisma, jwt, apiKeys, clock),
    devices: createDevicesService(db.prisma, apiKeys, keyRefusals, activity, clock),
    readings: createReadingsService(db, clock, {
      stored: (accepted) => metrics.readingsAccepted.inc(accepted),
      // Coalesced like heartbeats: a device that only reports still shows when it was last seen.
      seen: (deviceId, at) => activity.record(deviceId, at, undefined),
      deviceGone: (deviceId) => apiKeys.forgetDevice(deviceId),
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
