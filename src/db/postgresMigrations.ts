// Applies the committed PostgreSQL migrations and records them in `_prisma_migrations` as
// Prisma does. Prisma's migrate engine cannot run here (it needs a Rust binary, and through
// the JS engine `migrate deploy` fails on PostgreSQL), so FleetQL applies them itself.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { loadMigrations, MigrationError, pendingMigrations, type AppliedMigration } from "./migrations.js";

// Prisma's own advisory lock key for migrations: FleetQL instances starting together, and
// Prisma's CLI, take turns instead of applying the same migration twice.
const PRISMA_MIGRATE_LOCK = 72707369;

// The table as Prisma's migrate engine creates it on PostgreSQL.
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

const APPLIED = `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`;

const LOCK_RETRY_MS = 250;
const LOCK_WAIT_REPORT_MS = 10_000;
const LOCK_WAIT_LIMIT_MS = 10 * 60_000;

/** Waits for the migration lock, saying so every 10 s, and gives up after 10 minutes. */
async function takeMigrationLock(client: pg.PoolClient, onWaiting: (message: string) => void): Promise<void> {
  const start = Date.now();
  let reportedAt = start;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${PRISMA_MIGRATE_LOCK}) AS locked`);
    if (rows[0]!.locked) return;
    const waited = Date.now() - start;
    if (waited >= LOCK_WAIT_LIMIT_MS) {
      throw new MigrationError(`another session has held the migration lock (pg_advisory_lock ${PRISMA_MIGRATE_LOCK}) for ${Math.round(waited / 60_000)} minutes`);
    }
    if (Date.now() - reportedAt >= LOCK_WAIT_REPORT_MS) {
      reportedAt = Date.now();
      onWaiting(`waiting ${Math.round(waited / 1000)} s for the migration lock another instance holds`);
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
  }
}

/** Brings the schema to the current migrations; returns the names it applied. */
export async function migratePostgres(pool: pg.Pool, schema: string, onWaiting: (message: string) => void = () => {}): Promise<string[]> {
  const client = await pool.connect();
  let unlocked = false;
  try {
    await takeMigrationLock(client, onWaiting);
    try {
      if (schema !== "public") await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(MIGRATIONS_TABLE);
      const applied = await client.query<AppliedMigration>(APPLIED);
      const pending = pendingMigrations(loadMigrations("postgresql"), applied.rows);
      for (const migration of pending) {
        const startedAt = new Date();
        // One transaction per migration: a failed one leaves neither its changes nor a record.
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query(
            `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
             VALUES ($1, $2, now(), $3, $4, 1)`,
            [randomUUID(), migration.checksum, migration.name, startedAt],
          );
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
      }
      return pending.map((m) => m.name);
    } finally {
      unlocked = await client.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK})`).then(
        () => true,
        () => false,
      );
    }
  } finally {
    // A connection that may still hold the lock must not go back to the pool.
    client.release(!unlocked);
  }
}

/** True when every committed migration has been applied (false while the database is unreachable). */
export async function postgresIsMigrated(pool: pg.Pool): Promise<boolean> {
  const applied = await pool.query<AppliedMigration>(APPLIED);
  return pendingMigrations(loadMigrations("postgresql"), applied.rows).length === 0;
}
