// The database each test file runs on: SQLite by default; PostgreSQL in the suite's
// "postgresql" project (FLEETQL_TEST_PROVIDER=postgresql), each file in a schema of its own on
// FLEETQL_TEST_POSTGRES_URL, dropped when the file is done. Also reads rows straight from
// the database, to check what FleetQL really stored.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { sqliteFilePath } from "../../src/db/sqlite.js";
import { parsePostgresUrl } from "../../src/db/postgresUrl.js";

export const TEST_PROVIDER: "sqlite" | "postgresql" = process.env.FLEETQL_TEST_PROVIDER === "postgresql" ? "postgresql" : "sqlite";
export const POSTGRES_TEST_URL = process.env.FLEETQL_TEST_POSTGRES_URL ?? null;

export interface TestDatabase {
  provider: "sqlite" | "postgresql";
  url: string;
  /** SQLite: the folder holding the database files. */
  dir: string | null;
  drop(): Promise<void>;
}

/** A URL for a schema of its own on the test PostgreSQL server. */
export function postgresTestUrl(schema: string): string {
  if (!POSTGRES_TEST_URL) throw new Error("FLEETQL_TEST_POSTGRES_URL is not set");
  const url = new URL(POSTGRES_TEST_URL);
  url.searchParams.set("schema", schema);
  return url.toString();
}

export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(6).toString("hex")}`;

export async function createTestDatabase(provider = TEST_PROVIDER): Promise<TestDatabase> {
  if (provider === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-test-"));
    return { provider, url: `file:${path.join(dir, "fleetql.db")}`, dir, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = uniqueName("fleetql_test");
  const url = postgresTestUrl(schema);
  return { provider, url, dir: null, drop: () => dropPostgresSchema(url) };
}

export async function dropPostgresSchema(url: string): Promise<void> {
  const { schema } = parsePostgresUrl(url);
  await withPostgres(url, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

async function withPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString, options: `-c search_path="${schema}"` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Runs one statement against the test database ($1, $2… placeholders on both). */
export async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  if (url.startsWith("file:")) {
    const db = new Database(sqliteFilePath(url));
    try {
      // $1, $2… become named parameters, which better-sqlite3 binds from an object.
      const statement = db.prepare(sql.replace(/\$(\d+)/g, "@p$1"));
      const named = Object.fromEntries(params.map((value, i) => [`p${i + 1}`, value]));
      return (statement.reader ? statement.all(named) : (statement.run(named), [])) as T[];
    } finally {
      db.close();
    }
  }
  return withPostgres(url, async (client) => (await client.query(sql, params)).rows as T[]);
}

/** A stored instant as an ISO string, whichever database stored it. */
const instant = (value: unknown): string | null => (value === null ? null : new Date(value as string | Date).toISOString());

export async function readDeviceRow(url: string, id: string): Promise<{ lastSeenAt: string | null; status: string | null }> {
  const [row] = await query<{ lastSeenAt: unknown; status: string | null }>(url, `SELECT "lastSeenAt", "status" FROM "Device" WHERE "id" = $1`, [id]);
  if (!row) throw new Error(`no device ${id}`);
  return { lastSeenAt: instant(row.lastSeenAt), status: row.status };
}

export async function countReadings(url: string, deviceId: string): Promise<number> {
  const [row] = await query<{ n: number | string }>(url, `SELECT count(*) AS n FROM "Reading" WHERE "deviceId" = $1`, [deviceId]);
  return Number(row!.n);
}
