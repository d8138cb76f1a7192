// What the rest of FleetQL needs from a database. Prisma's typed API serves everything
// except the two hot writes (reading batches, coalesced device activity), which go to the
// driver directly: Prisma's per-row cost there is an order of magnitude above the driver's.
import type { PrismaClient } from "../generated/prisma/client.js";

export interface ReadingRow {
  metric: string;
  value: number;
  recordedAt: Date;
}

export interface ReadingBatch {
  deviceId: string;
  batchId: string | null;
  receivedAt: Date;
  /** Batches recorded before this instant no longer count as duplicates. */
  duplicateWindowStart: Date;
  readings: ReadingRow[];
}

export interface BatchOutcome {
  accepted: number;
  duplicate: boolean;
}

export interface DeviceActivity {
  deviceId: string;
  lastSeenAt: Date;
  /** JSON text; undefined leaves the stored status as it is. */
  status?: string | null;
}

/**
 * The batch's device no longer exists: its account was deleted, on another instance, after
 * this one last verified the key.
 */
export class DeviceGoneError extends Error {
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} no longer exists`);
    this.name = "DeviceGoneError";
  }
}

export interface FleetDb {
  provider: "sqlite" | "postgresql";
  prisma: PrismaClient;
  /** Stores a batch of readings in one transaction, all or nothing, at most once per batchId;
   * throws DeviceGoneError when the device is gone. */
  insertReadingBatch(batch: ReadingBatch): Promise<BatchOutcome>;
  /** Writes many devices' lastSeenAt/status in one transaction. */
  writeDeviceActivity(entries: DeviceActivity[]): Promise<void>;
  forgetBatchesBefore(cutoff: Date): Promise<void>;
  isReady(): Promise<boolean>;
  /** The migrations this process applied when it opened the database. */
  appliedMigrations: string[];
  close(): Promise<void>;
}
