// PostgreSQL: Prisma through @prisma/adapter-pg, sharing one pg pool with FleetQL's own
// statements for migrations and the hot writes (one multi-row statement per reading batch,
// one per activity flush).
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaClient } from "../generated/prisma/client.js";
import { PrismaClient as PostgresPrismaClient } from "../generated/prisma-postgresql/client.js";
import { migratePostgres, postgresIsMigrated } from "./postgresMigrations.js";
import { parsePostgresUrl } from "./postgresUrl.js";
import { retryingConflicts } from "./conflicts.js";
import { DeviceGoneError, type BatchOutcome, type DeviceActivity, type FleetDb, type ReadingBatch } from "./types.js";

export interface OpenPostgresOptions {
  migrate: boolean;
  /** Told while start-up waits for another instance's migration lock. */
  onMigrationWait?: (message: string) => void;
  /** Connections in the pool (Prisma's queries and FleetQL's own share it). */
  poolSize?: number;
}

const INSERT_READINGS = `INSERT INTO "Reading" ("deviceId", "metric", "value", "recordedAt", "receivedAt")
  SELECT $1, r.metric, r.value, r.recorded_at, $5
  FROM unnest($2::text[], $3::float8[], $4::timestamptz[]) AS r(metric, value, recorded_at)`;

// Claims the batch id before the readings go in, in one statement: a new id is inserted, one
// older than the duplicate window is taken over, and one inside the window is only locked
// (ON CONFLICT locks the row it conflicts with even when the WHERE declines the update), so it
// cannot vanish before it is read. Of two concurrent sends of one batch the second waits here
// for the first to commit, then finds its row.
const CLAIM_BATCH = `INSERT INTO "ReportBatch" ("deviceId", "batchId", "accepted", "createdAt") VALUES ($1, $2, $3, $4)
  ON CONFLICT ("deviceId", "batchId") DO UPDATE SET "accepted" = EXCLUDED."accepted", "createdAt" = EXCLUDED."createdAt"
  WHERE "ReportBatch"."createdAt" < $5
  RETURNING 1`;
const PREVIOUS_BATCH = `SELECT "accepted" FROM "ReportBatch" WHERE "deviceId" = $1 AND "batchId" = $2`;

// Never older over newer: another instance may have written a later heartbeat first.
const WRITE_ACTIVITY = `UPDATE "Device" AS d
  SET "lastSeenAt" = a.seen, "status" = CASE WHEN a.keep_status THEN d."status" ELSE a.status END
  FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bool[]) AS a(id, seen, status, keep_status)
  WHERE d."id" = a.id AND (d."lastSeenAt" IS NULL OR d."lastSeenAt" <= a.seen)`;
// The UPDATE's plan decides the order it locks rows in; taking the locks first, in id order,
// keeps two instances flushing overlapping devices from deadlocking each other.
const LOCK_DEVICES = `SELECT 1 FROM "Device" WHERE "id" = ANY($1::text[]) ORDER BY "id" FOR NO KEY UPDATE`;

const READY_CHECK_TIMEOUT_MS = 2000;
const FOREIGN_KEY_VIOLATION = "23503";

async function storeBatch(client: pg.PoolClient, batch: ReadingBatch): Promise<BatchOutcome> {
  const accepted = batch.readings.length;
  if (batch.batchId !== null) {
    const claimed = await client.query(CLAIM_BATCH, [batch.deviceId, batch.batchId, accepted, batch.receivedAt, batch.duplicateWindowStart]);
    if (claimed.rowCount === 0) {
      const previous = await client.query<{ accepted: number }>(PREVIOUS_BATCH, [batch.deviceId, batch.batchId]);
      return { accepted: previous.rows[0]!.accepted, duplicate: true };
    }
  }
  const metrics: string[] = [];
  const values: number[] = [];
  const recordedAt: Date[] = [];
  for (const reading of batch.readings) {
    metrics.push(reading.metric);
    values.push(reading.value);
    recordedAt.push(reading.recordedAt);
  }
  await client.query(INSERT_READINGS, [batch.deviceId, metrics, values, recordedAt, batch.receivedAt]);
  return { accepted, duplicate: false };
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function openPostgres(url: string, options: OpenPostgresOptions): Promise<FleetDb> {
  const { connectionString, schema, options: urlOptions } = parsePostgresUrl(url);
  // pg would write a Date in the process's local zone, and for old dates in zones whose offset
  // then had seconds (local mean time) it rounds the offset to whole minutes: seconds off.
  pg.defaults.parseInputDatesAsUTC = true;
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    // FleetQL's own statements name tables without a schema; Prisma qualifies its own.
    // Sessions in UTC whatever the database's TimeZone: Prisma's adapter sends instants as UTC
    // wall-clock text without an offset and drops the offset of what it reads, so in any other
    // zone its instants and those FleetQL's own statements write would drift apart.
    // FleetQL's settings last, so that the URL's own cannot override them.
    options: [urlOptions, `-c search_path="${schema}"`, "-c TimeZone=UTC"].filter(Boolean).join(" "),
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection the server dropped must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  let appliedMigrations: string[] = [];
  try {
    if (options.migrate) appliedMigrations = await migratePostgres(pool, schema, options.onMigrationWait);
  } catch (error) {
    await pool.end();
    throw error;
  }

  let migrated = false;
  const adapter = new PrismaPg(pool, { schema, disposeExternalPool: false });
  // Both generated clients come from model-for-model identical schemas (test/schemaAgreement
  // holds them to it), so the PostgreSQL client serves where the SQLite client's type is named.
  // The one difference: Reading.id is a bigint here, which FleetQL only ever turns into a string.
  const prisma = new PostgresPrismaClient({ adapter }) as unknown as PrismaClient;

  return {
    provider: "postgresql",
    appliedMigrations,
    prisma,
    insertReadingBatch: (batch: ReadingBatch) =>
      inTransaction(pool, async (client): Promise<BatchOutcome> => {
        try {
          return await storeBatch(client, batch);
        } catch (error) {
          if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new DeviceGoneError(batch.deviceId);
          throw error;
        }
      }),
    writeDeviceActivity: async (entries: DeviceActivity[]) => {
      if (entries.length === 0) return;
      const ids = entries.map((e) => e.deviceId);
      // Lock order rules out deadlocks among FleetQL's own flushes, not with every other writer.
      await retryingConflicts(() =>
        inTransaction(pool, async (client) => {
          await client.query(LOCK_DEVICES, [ids]);
          await client.query(WRITE_ACTIVITY, [ids, entries.map((e) => e.lastSeenAt), entries.map((e) => e.status ?? null), entries.map((e) => e.status === undefined)]);
        }),
      );
    },
    forgetBatchesBefore: async (cutoff) => {
      await pool.query(`DELETE FROM "ReportBatch" WHERE "createdAt" < $1`, [cutoff]);
    },
    // Once migrated, a reachable database is a ready one; a check never waits past 2 s, so a
    // busy pool cannot make the load balancer's probe time out.
    isReady: async () => {
      const check = migrated ? pool.query("SELECT 1").then(() => true) : postgresIsMigrated(pool).then((ok) => (migrated = ok));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_CHECK_TIMEOUT_MS)));
      try {
        return await Promise.race([check.catch(() => false), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
