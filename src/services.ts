// Everything a request may use, built once from the database and configuration.
import { ApiKeyVerifier } from "./auth/apiKeyVerifier.js";
import type { JwtSettings } from "./auth/jwt.js";
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
  onBackgroundError: (error: unknown) => void;
}

export function createServices(options: ServicesOptions) {
  const { db, jwt, clock = systemClock } = options;
  const apiKeys = new ApiKeyVerifier(db.prisma);
  const activity = new DeviceActivityBuffer(db.writeDeviceActivity, options.activityFlushMs, options.onBackgroundError);
  return {
    apiKeys,
    activity,
    users: createUsersService(db.prisma, jwt, clock),
    devices: createDevicesService(db.prisma, apiKeys, activity, clock),
    readings: createReadingsService(db, db.prisma, clock),
  };
}

export type Services = ReturnType<typeof createServices>;
