// Everything a request may use, built once from the database and configuration.
import { ApiKeyVerifier } from "./auth/apiKeyVerifier.js";
import { KeyRefusalCounter } from "./auth/keyRefusals.js";
import type { JwtSettings } from "./auth/jwt.js";
import { DEFAULT_RATE_LIMITS, type RateLimits } from "./config.js";
import { RateLimiter } from "./rateLimit.js";
import type { FleetDb } from "./db/types.js";
import { DeviceActivityBuffer } from "./modules/devices/deviceActivity.js";
import { createDevicesService } from "./modules/devices/devices.service.js";
import { createReadingsService } from "./modules/readings/readings.service.js";
import { createUsersService } from "./modules/users/users.service.js";

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
  onBackgroundError: (error: unknown) => void;
}

export function createServices(options: ServicesOptions) {
  const { db, jwt, clock = systemClock, rateLimits = DEFAULT_RATE_LIMITS } = options;
  const apiKeys = new ApiKeyVerifier(db.prisma, clock);
  const keyRefusals = new KeyRefusalCounter(db.prisma, clock, options.activityFlushMs, options.onBackgroundError);
  const activity = new DeviceActivityBuffer(db.writeDeviceActivity, options.activityFlushMs, options.onBackgroundError);
  return {
    apiKeys,
    keyRefusals,
    activity,
    limits: {
      device: new RateLimiter(rateLimits.device, clock),
      auth: new RateLimiter(rateLimits.auth, clock),
      // logIn per account as well: many addresses guessing one password are limited together.
      account: new RateLimiter(rateLimits.auth, clock),
      refusedKeys: new RateLimiter(rateLimits.refusedKeys, clock),
    },
    users: createUsersService(db.prisma, jwt, apiKeys, clock),
    devices: createDevicesService(db.prisma, apiKeys, keyRefusals, activity, clock),
    readings: createReadingsService(db, clock),
  };
}

export type Services = ReturnType<typeof createServices>;
