// PostgreSQL: Prisma through @prisma/adapter-pg, sharing one pg pool with FleetQL's own
// statements for migrations and the hot writes (one multi-row statement per reading batch,
// one per activity flush).
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaClient } from "../generated/prisma/client.js";
import { PrismaClient as PostgresPrismaClient } from "../generated/prisma-postgresql/client.js";
import { migratePostgres, postgresIsMigrated } from "./postgresMigrations.js";
import { parsePostgresUrl } from "./postgresUrl.js";
import type { BatchOutcome, DeviceActivity, FleetDb, ReadingBatch } from "./types.js";

export interface OpenPostgresOptions {
  migrate: boolean;
  /** Connections in the pool (Prisma's queries and FleetQL's own share it). */
  poolSize?: number;
}

const INSERT_READINGS = `INSERT INTO "Reading" ("deviceId", "metric", "value", "recordedAt", "receivedAt")
  SELECT $1, r.metric, r.value, r.recorded_at, $5
  FROM unnest($2::text[], $3::float8[], $4::timestamptz[]) AS r(metric, value, recorded_at)`;

// Claims the batch id before the readings go in: of two concurrent sends of one batch the
// second waits here for the first to commit, then finds its row.
const CLAIM_BATCH = `INSERT INTO "ReportBatch" ("deviceId", "batchId", "accepted", "createdAt") VALUES ($1, $2, $3, $4)
  ON CONFLICT ("deviceId", "batchId") DO NOTHING`;
const PREVIOUS_BATCH = `SELECT "accepted", "createdAt" FROM "ReportBatch" WHERE "deviceId" = $1 AND "batchId" = $2 FOR UPDATE`;
const RENEW_BATCH = `UPDATE "ReportBatch" SET "accepted" = $3, "createdAt" = $4 WHERE "deviceId" = $1 AND "batchId" = $2`;

// Never older over newer: another instance may have written a later heartbeat first. Rows are
// updated in id order, so two instances flushing the same devices cannot deadlock.
const WRITE_ACTIVITY = `UPDATE "Device" AS d
  SET "lastSeenAt" = a.seen, "status" = CASE WHEN a.keep_status THEN d."status" ELSE a.status END
  FROM (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bool[]) AS u(id, seen, status, keep_status) ORDER BY id) AS a
  WHERE d."id" = a.id AND (d."lastSeenAt" IS NULL OR d."lastSeenAt" <= a.seen)`;

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
  const { connectionString, schema } = parsePostgresUrl(url);
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    // FleetQL's own statements name tables without a schema; Prisma qualifies its own.
    options: `-c search_path="${schema}"`,
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection the server dropped must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  let appliedMigrations: string[] = [];
  try {
    if (options.migrate) appliedMigrations = await migratePostgres(pool, schema);
  } catch (error) {
    await pool.end();
    throw error;
  }

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
        const accepted = batch.readings.length;
        if (batch.batchId !== null) {
          const claimed = await client.query(CLAIM_BATCH, [batch.deviceId, batch.batchId, accepted, batch.receivedAt]);
          if (claimed.rowCount === 0) {
            const previous = await client.query<{ accepted: number; createdAt: Date }>(PREVIOUS_BATCH, [batch.deviceId, batch.batchId]);
            const row = previous.rows[0]!;
            if (row.createdAt >= batch.duplicateWindowStart) return { accepted: row.accepted, duplicate: true };
            // Older than the window: the id may be used again.
            await client.query(RENEW_BATCH, [batch.deviceId, batch.batchId, accepted, batch.receivedAt]);
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
      }),
    writeDeviceActivity: async (entries: DeviceActivity[]) => {
      if (entries.length === 0) return;
      await pool.query(WRITE_ACTIVITY, [
        entries.map((e) => e.deviceId),
        entries.map((e) => e.lastSeenAt),
        entries.map((e) => e.status ?? null),
        entries.map((e) => e.status === undefined),
      ]);
    },
    forgetBatchesBefore: async (cutoff) => {
      await pool.query(`DELETE FROM "ReportBatch" WHERE "createdAt" < $1`, [cutoff]);
    },
    isReady: () => postgresIsMigrated(pool).catch(() => false),
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
