// SQLite: Prisma through @prisma/adapter-better-sqlite3, plus one more better-sqlite3
// connection of FleetQL's own for migrations and the hot writes.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../generated/prisma/client.js";
import { migrateSqlite, sqliteIsMigrated } from "./migrations.js";
import { SQLITE_TIMESTAMP_FORMAT, sqliteTimestamp } from "./sqliteTimestamps.js";
import { DeviceGoneError, type BatchOutcome, type DeviceActivity, type FleetDb, type ReadingBatch } from "./types.js";

/** The file a `file:` URL names; relative paths are relative to the working directory. */
export function sqliteFilePath(url: string): string {
  const withoutScheme = url.replace(/^file:/, "").split("?")[0]!;
  return path.resolve(withoutScheme);
}

const ROWS_PER_INSERT = 100;
export const SQLITE_CACHE_KIB = 16 * 1024;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  // Extended codes too, such as SQLITE_BUSY_SNAPSHOT.
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a synchronous write transaction, waiting asynchronously while another connection
 * (Prisma's, mid-transaction) holds the write lock. A blocking busy_timeout here would stall
 * the only thread, the one that must run Prisma's transaction to its end.
 */
async function withWriteLock<T>(write: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return write();
    } catch (error) {
      if (!isBusy(error) || attempt >= 200) throw error;
      await sleep(Math.min(1 + attempt, 25));
    }
  }
}

/** FleetQL's own statements for the hot writes, on its own connection. */
function prepareWrites(raw: Database.Database) {
  const insertRow = raw.prepare(`INSERT INTO "Reading" ("deviceId", "metric", "value", "recordedAt", "receivedAt") VALUES (?, ?, ?, ?, ?)`);
  const insertRows = raw.prepare(
    `INSERT INTO "Reading" ("deviceId", "metric", "value", "recordedAt", "receivedAt") VALUES ${Array(ROWS_PER_INSERT).fill("(?, ?, ?, ?, ?)").join(", ")}`,
  );
  const findBatch = raw.prepare(`SELECT "accepted", "createdAt" FROM "ReportBatch" WHERE "deviceId" = ? AND "batchId" = ?`);
  const deleteBatch = raw.prepare(`DELETE FROM "ReportBatch" WHERE "deviceId" = ? AND "batchId" = ?`);
  const recordBatch = raw.prepare(`INSERT INTO "ReportBatch" ("deviceId", "batchId", "accepted", "createdAt") VALUES (?, ?, ?, ?)`);
  const forgetBatches = raw.prepare(`DELETE FROM "ReportBatch" WHERE "createdAt" < ?`);
  // Never older over newer: another instance may have written a later heartbeat first.
  const touch = raw.prepare(`UPDATE "Device" SET "lastSeenAt" = @seen WHERE "id" = @id AND ("lastSeenAt" IS NULL OR "lastSeenAt" <= @seen)`);
  const touchWithStatus = raw.prepare(
    `UPDATE "Device" SET "lastSeenAt" = @seen, "status" = @status WHERE "id" = @id AND ("lastSeenAt" IS NULL OR "lastSeenAt" <= @seen)`,
  );

  const storeBatch = raw.transaction((batch: ReadingBatch): BatchOutcome => {
    if (batch.batchId !== null) {
      const previous = findBatch.get(batch.deviceId, batch.batchId) as { accepted: number; createdAt: number } | undefined;
      if (previous && previous.createdAt >= sqliteTimestamp(batch.duplicateWindowStart)) {
        return { accepted: previous.accepted, duplicate: true };
      }
      if (previous) deleteBatch.run(batch.deviceId, batch.batchId);
    }
    const receivedAt = sqliteTimestamp(batch.receivedAt);
    const rows = batch.readings;
    const params: unknown[] = [];
    let i = 0;
    for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
      params.length = 0;
      for (let j = i; j < i + ROWS_PER_INSERT; j++) {
        const row = rows[j]!;
        params.push(batch.deviceId, row.metric, row.value, sqliteTimestamp(row.recordedAt), receivedAt);
      }
      insertRows.run(params);
    }
    for (; i < rows.length; i++) {
      const row = rows[i]!;
      insertRow.run(batch.deviceId, row.metric, row.value, sqliteTimestamp(row.recordedAt), receivedAt);
    }
    if (batch.batchId !== null) recordBatch.run(batch.deviceId, batch.batchId, rows.length, receivedAt);
    return { accepted: rows.length, duplicate: false };
  });

  const storeActivity = raw.transaction((entries: DeviceActivity[]) => {
    for (const entry of entries) {
      const seen = sqliteTimestamp(entry.lastSeenAt);
      if (entry.status === undefined) touch.run({ seen, id: entry.deviceId });
      else touchWithStatus.run({ seen, id: entry.deviceId, status: entry.status });
    }
  });
  return { storeBatch, storeActivity, forgetBatches };
}

export interface OpenSqliteOptions {
  migrate: boolean;
}

export function openSqlite(url: string, options: OpenSqliteOptions): FleetDb {
  const file = sqliteFilePath(url);
  fs.mkdirSync(path.dirname(file), { recursive: true });

  const raw = new Database(file, { timeout: 5000 });
  raw.pragma("journal_mode = WAL");
  // In WAL mode NORMAL keeps every committed transaction through a process crash; only an
  // OS crash or power loss can take the last ones back. FULL would fsync every reading batch.
  raw.pragma("synchronous = NORMAL");
  // 16 MiB of page cache (the default is 2 MiB) keeps the readings indexes' hot pages in memory.
  raw.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  raw.pragma("foreign_keys = ON");
  const appliedMigrations = options.migrate ? migrateSqlite(raw) : [];
  raw.pragma("busy_timeout = 0");

  const prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${file}` }, { timestampFormat: SQLITE_TIMESTAMP_FORMAT }) });

  // Prepared on first use: a database not yet migrated (MIGRATE_ON_START=false) has no tables.
  let writes: ReturnType<typeof prepareWrites> | null = null;
  const prepared = () => (writes ??= prepareWrites(raw));

  let migrated = false;
  return {
    provider: "sqlite",
    appliedMigrations,
    prisma,
    insertReadingBatch: async (batch) => {
      try {
        return await withWriteLock(() => prepared().storeBatch.immediate(batch));
      } catch (error) {
        if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_FOREIGNKEY") throw new DeviceGoneError(batch.deviceId);
        throw error;
      }
    },
    writeDeviceActivity: async (entries) => {
      if (entries.length > 0) await withWriteLock(() => prepared().storeActivity.immediate(entries));
    },
    forgetBatchesBefore: async (cutoff) => {
      await withWriteLock(() => prepared().forgetBatches.run(sqliteTimestamp(cutoff)));
    },
    // Once migrated, a database stays so for the life of this process.
    isReady: async () => (migrated ||= sqliteIsMigrated(raw)),
    close: async () => {
      await prisma.$disconnect();
      raw.close();
    },
  };
}
