// Applies the committed SQL migrations under prisma/<provider>/migrations and records
// them in `_prisma_migrations` exactly as Prisma does, so `prisma migrate status` agrees.
// FleetQL applies them itself because Prisma's migrate engine needs a Rust binary.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import { PROJECT_ROOT } from "../projectRoot.js";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

const PRISMA_DIR = path.join(PROJECT_ROOT, "prisma");

const loaded = new Map<string, Migration[]>();

/** The committed migrations, read once per process (readiness checks compare against them). */
export function loadMigrations(provider: "sqlite" | "postgresql"): Migration[] {
  let migrations = loaded.get(provider);
  if (!migrations) loaded.set(provider, (migrations = readMigrations(provider)));
  return migrations;
}

function readMigrations(provider: "sqlite" | "postgresql"): Migration[] {
  const dir = path.join(PRISMA_DIR, provider, "migrations");
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

export interface AppliedMigration {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

/** Compares the database's record with the committed migrations; returns those still to apply. */
export function pendingMigrations(migrations: Migration[], applied: AppliedMigration[]): Migration[] {
  const done = new Map<string, AppliedMigration>();
  for (const row of applied) {
    if (row.rolled_back_at !== null) continue;
    if (row.finished_at === null) {
      throw new MigrationError(`migration ${row.migration_name} started but never finished; repair the database before starting`);
    }
    done.set(row.migration_name, row);
  }
  for (const [name, row] of done) {
    const committed = migrations.find((m) => m.name === name);
    if (!committed) throw new MigrationError(`the database has migration ${name}, which this version of FleetQL does not know`);
    if (committed.checksum !== row.checksum) throw new MigrationError(`migration ${name} was changed after it was applied`);
  }
  return migrations.filter((m) => !done.has(m.name));
}

/** Brings a SQLite database to the current schema; returns the names it applied. */
export function migrateSqlite(db: Database.Database): string[] {
  db.exec(SQLITE_MIGRATIONS_TABLE);
  // IMMEDIATE takes the write lock first, so two processes cannot apply the same migration.
  return db
    .transaction(() => {
      const applied = db.prepare(`SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`).all() as AppliedMigration[];
      const pending = pendingMigrations(loadMigrations("sqlite"), applied);
      const record = db.prepare(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
         VALUES (?, ?, ?, ?, ?, 1)`,
      );
      for (const migration of pending) {
        const startedAt = Date.now();
        db.exec(migration.sql);
        record.run(randomUUID(), migration.checksum, Date.now(), migration.name, startedAt);
      }
      return pending.map((m) => m.name);
    })
    .immediate();
}

/** True when every committed migration has been applied. */
export function sqliteIsMigrated(db: Database.Database): boolean {
  try {
    const applied = db.prepare(`SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`).all() as AppliedMigration[];
    return pendingMigrations(loadMigrations("sqlite"), applied).length === 0;
  } catch {
    return false;
  }
}
