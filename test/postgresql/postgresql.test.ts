// What only PostgreSQL has: FleetQL's migrations agree with Prisma and with schema.prisma,
// instances starting together apply them once, readings are stored as time series, and key
// events committed out of id order still reach every instance.
import path from "node:path";
import { spawnSync } from "node:child_process";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/index.js";
import { loadMigrations } from "../../src/db/migrations.js";
import { parsePostgresUrl } from "../../src/db/postgresUrl.js";
import { startTestServer } from "../helpers/server.js";
import { addDevice, expectData, expectError, gql, HEARTBEAT, REPORT, signUpUser } from "../helpers/client.js";
import { createTestDatabase, POSTGRES_TEST_URL, query, uniqueName } from "../helpers/db.js";
import { ROOT } from "../helpers/process.js";

const PRISMA = path.join(ROOT, "node_modules", ".bin", "prisma");
const prisma = (args: string[], databaseUrl: string) =>
  spawnSync(PRISMA, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl }, encoding: "utf8", timeout: 60_000 });

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function scratchSchema(): Promise<string> {
  const database = await createTestDatabase("postgresql");
  cleanups.push(() => database.drop());
  return database.url;
}

/** A session of the test's own on the database, in the URL's schema. */
async function session(url: string): Promise<pg.Client> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString, options: `-c search_path="${schema}"` });
  await client.connect();
  return client;
}

/** Revokes a device in a transaction left open: its KeyEvent id is taken now, committed later. */
async function uncommittedRevocation(url: string, deviceId: string): Promise<pg.Client> {
  const client = await session(url);
  await client.query("BEGIN");
  await client.query(`UPDATE "Device" SET "revokedAt" = now() WHERE id = $1`, [deviceId]);
  await client.query(`INSERT INTO "KeyEvent" ("deviceId", kind, at) VALUES ($1, 'revoked', now())`, [deviceId]);
  return client;
}

async function expectRefusedWithin(url: string, apiKey: string, ms: number): Promise<void> {
  const start = Date.now();
  while ((await gql(url, HEARTBEAT, { k: apiKey })).status !== 403) {
    expect(Date.now() - start).toBeLessThan(ms);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Tables, columns, indexes and constraints of a schema, with the schema's name left out. */
async function catalog(url: string): Promise<string[]> {
  const { schema } = parsePostgresUrl(url);
  const columns = await query<{ line: string }>(
    url,
    `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
     FROM information_schema.columns WHERE table_schema = $1`,
    [schema],
  );
  const indexes = await query<{ line: string }>(url, `SELECT indexdef AS line FROM pg_indexes WHERE schemaname = $1`, [schema]);
  const constraints = await query<{ line: string }>(
    url,
    `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS line
     FROM pg_constraint WHERE connamespace = $1::regnamespace`,
    [schema],
  );
  return [...columns, ...indexes, ...constraints]
    .map((row) => row.line.replaceAll(`"${schema}".`, "").replaceAll(`${schema}.`, ""))
    .filter((line) => !line.includes("_prisma_migrations"))
    .sort();
}

describe("PostgreSQL migrations", () => {
  it("are recorded as Prisma records them: `prisma migrate status` reports a fresh database up to date", async () => {
    // migrate status reads the public schema, so this one gets a database of its own.
    const name = uniqueName("fleetql_status");
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL! });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });
    const url = new URL(POSTGRES_TEST_URL!);
    url.pathname = `/${name}`;
    const db = await createDb(url.toString(), { migrate: true });
    await db.close();
    const status = prisma(["migrate", "status"], url.toString());
    expect(status.stdout).toContain(`${loadMigrations("postgresql").length} migration`);
    expect(status.stdout).toContain("Database schema is up to date!");
    expect(status.status).toBe(0);
  });

  it("build exactly what prisma/postgresql/schema.prisma declares", async () => {
    const migrated = await scratchSchema();
    await (await createDb(migrated, { migrate: true })).close();
    // The same schema as Prisma itself would create it from the models.
    const declared = await scratchSchema();
    const diff = prisma(["migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/postgresql/schema.prisma", "--script"], "file:./data/unused.db");
    expect(diff.status, diff.stderr).toBe(0);
    const { schema } = parsePostgresUrl(declared);
    await query(declared, `CREATE SCHEMA "${schema}"`);
    await query(declared, diff.stdout);
    const built = await catalog(migrated);
    expect(built.length).toBeGreaterThan(40);
    expect(built).toEqual(await catalog(declared));
  });

  it("are applied once when several instances start at the same moment", async () => {
    const url = await scratchSchema();
    const dbs = await Promise.all(Array.from({ length: 4 }, () => createDb(url, { migrate: true, poolSize: 2 })));
    for (const db of dbs) expect(await db.isReady()).toBe(true);
    await Promise.all(dbs.map((db) => db.close()));
    const applied = await query<{ migration_name: string }>(url, `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`);
    expect(applied.map((row) => row.migration_name).sort()).toEqual(loadMigrations("postgresql").map((m) => m.name));
  });

  it("wait while another session holds Prisma's migration lock, then go ahead", async () => {
    const url = await scratchSchema();
    const holder = new pg.Client({ connectionString: POSTGRES_TEST_URL! });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(72707369)");
      let opened = false;
      const opening = createDb(url, { migrate: true, poolSize: 1 }).then((db) => ((opened = true), db));
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(opened).toBe(false);
      await holder.query("SELECT pg_advisory_unlock(72707369)");
      const db = await opening;
      expect(await db.isReady()).toBe(true);
      await db.close();
    } finally {
      await holder.end();
    }
  });

  it("store readings as time series: timestamptz, a 64-bit id, and a (deviceId, metric, recordedAt) index", async () => {
    const url = await scratchSchema();
    await (await createDb(url, { migrate: true })).close();
    const { schema } = parsePostgresUrl(url);
    const types = await query<{ column_name: string; data_type: string }>(
      url,
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'Reading'`,
      [schema],
    );
    const typeOf = Object.fromEntries(types.map((row) => [row.column_name, row.data_type]));
    expect(typeOf).toMatchObject({ id: "bigint", value: "double precision", recordedAt: "timestamp with time zone", receivedAt: "timestamp with time zone" });
    const indexes = await query<{ indexdef: string }>(url, `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'Reading'`, [schema]);
    expect(indexes.map((row) => row.indexdef).join("\n")).toContain(`("deviceId", metric, "recordedAt")`);
  });
});

describe("key events committed out of id order", () => {
  it("still reach an instance that already saw a later event", async () => {
    const database = await createTestDatabase("postgresql");
    cleanups.push(() => database.drop());
    const a = await startTestServer({ database, keyEventPollMs: 100 });
    const b = await startTestServer({ database, keyEventPollMs: 100 });
    cleanups.push(() => a.stop(), () => b.stop());
    const owner = await signUpUser(a.url);
    const slow = await addDevice(a.url, owner.token);
    const other = await addDevice(a.url, owner.token);
    expectData(await gql(b.url, HEARTBEAT, { k: slow.apiKey })); // cached on b

    // A revocation whose transaction takes its event id first and commits last.
    const client = await uncommittedRevocation(database.url, slow.id);
    try {
      // Meanwhile a later event commits, and b's polls move past it.
      expectData(await gql(a.url, `mutation($id: ID!) { revokeDevice(id: $id) { id } }`, { id: other.id }, { token: owner.token }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expectError(await gql(b.url, HEARTBEAT, { k: other.apiKey }), "INVALID_API_KEY", 403);
      expectData(await gql(b.url, HEARTBEAT, { k: slow.apiKey }));
      await client.query("COMMIT");
    } finally {
      await client.end();
    }
    await expectRefusedWithin(b.url, slow.apiKey, 1500);
  });
});

describe("key events uncommitted while an instance starts", () => {
  it("still reach it once they commit", async () => {
    const database = await createTestDatabase("postgresql");
    cleanups.push(() => database.drop());
    const a = await startTestServer({ database, keyEventPollMs: 100 });
    cleanups.push(() => a.stop());
    const owner = await signUpUser(a.url);
    const slow = await addDevice(a.url, owner.token);
    const other = await addDevice(a.url, owner.token);

    const client = await uncommittedRevocation(database.url, slow.id);
    try {
      // A later event commits before the new instance looks for its starting point.
      expectData(await gql(a.url, `mutation($id: ID!) { revokeDevice(id: $id) { id } }`, { id: other.id }, { token: owner.token }));
      const b = await startTestServer({ database, keyEventPollMs: 100 });
      cleanups.push(() => b.stop());
      expectData(await gql(b.url, HEARTBEAT, { k: slow.apiKey })); // cached on b
      await client.query("COMMIT");
      await expectRefusedWithin(b.url, slow.apiKey, 1500);
    } finally {
      await client.end();
    }
  });
});

describe("writes racing other sessions", () => {
  it("stores a batch resent after its window whose old record is deleted mid-claim", async () => {
    const database = await createTestDatabase("postgresql");
    cleanups.push(() => database.drop());
    let now = Date.UTC(2026, 0, 1);
    const t = await startTestServer({ database, clock: { now: () => new Date(now) } });
    cleanups.push(() => t.stop());
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const readings = [{ metric: "m", value: 1, recordedAt: new Date(now).toISOString() }];
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: readings, b: "old" }));
    now += 25 * 3600_000;

    // Another session (the hourly clean-up, say) holds the expired record, then deletes it.
    const janitor = await session(database.url);
    try {
      await janitor.query("BEGIN");
      await janitor.query(`SELECT 1 FROM "ReportBatch" WHERE "deviceId" = $1 FOR UPDATE`, [device.id]);
      const resend = gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 2 }], b: "old" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await janitor.query(`DELETE FROM "ReportBatch" WHERE "deviceId" = $1`, [device.id]);
      await janitor.query("COMMIT");
      expect(expectData(await resend).reportReadings).toEqual({ accepted: 1, duplicate: false });
    } finally {
      await janitor.end();
    }
    expect(await query(database.url, `SELECT 1 FROM "Reading" WHERE "deviceId" = $1`, [device.id])).toHaveLength(2);
  });

  it("lets two instances flush overlapping devices' heartbeats at once without deadlocking", async () => {
    const url = await scratchSchema();
    const [one, two] = await Promise.all([createDb(url, { migrate: true, poolSize: 2 }), createDb(url, { migrate: true, poolSize: 2 })]);
    cleanups.push(() => one!.close(), () => two!.close());
    const ids = Array.from({ length: 300 }, (_, i) => `device-${String(i).padStart(3, "0")}`);
    await query(url, `INSERT INTO "User" (id, email, "passwordHash") VALUES ('u', 'u@example.com', 'x')`);
    // Stored in the reverse of id order, so that a plan scanning the table and a plan driven
    // by the list of ids meet the rows in opposite orders.
    await query(url, `INSERT INTO "Device" (id, "ownerId", name, "keyPrefix") SELECT id, 'u', id, 'fq_x' FROM unnest($1::text[]) AS id ORDER BY id DESC`, [ids]);
    await query(url, `ANALYZE "Device"`);
    const many = ids.slice(0, 250);
    const few = many.filter((_, i) => i % 10 === 0);
    let at = Date.UTC(2026, 0, 1);
    const until = Date.now() + 3000;
    const flushes = async (db: typeof one, chosen: string[]) => {
      let count = 0;
      while (Date.now() < until) {
        await db!.writeDeviceActivity(chosen.map((deviceId) => ({ deviceId, lastSeenAt: new Date(at++) })));
        count++;
      }
      return count;
    };
    const counts = await Promise.all([flushes(one, many), flushes(two, few), flushes(two, [...few].reverse())]);
    for (const count of counts) expect(count).toBeGreaterThan(5);
    const [row] = await query<{ n: string }>(url, `SELECT count(*) AS n FROM "Device" WHERE "lastSeenAt" IS NOT NULL`);
    expect(Number(row!.n)).toBe(250);
  });
});

describe("a PostgreSQL database whose time zone is not UTC", () => {
  it("still stores and reads every instant exactly, through Prisma and through FleetQL's own statements", async () => {
    // PostgreSQL often takes its TimeZone from the machine it was set up on.
    const name = uniqueName("fleetql_tz");
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL! });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.query(`ALTER DATABASE "${name}" SET timezone = 'Pacific/Chatham'`);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });
    const url = new URL(POSTGRES_TEST_URL!);
    url.pathname = `/${name}`;
    // Settings of the URL's own must not displace FleetQL's (schema, time zone).
    url.searchParams.set("options", "-c statement_timeout=60000");
    // And the server's own zone must not matter either: in 1800 New York was 4:56:02 behind UTC.
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    const t = await startTestServer({ database: { provider: "postgresql", url: url.toString(), dir: null, drop: async () => {} } });
    try {
      expectData(await gql(t.url, REPORT, { k: (await addDevice(t.url, (await signUpUser(t.url)).token)).apiKey, r: [{ metric: "old", value: 1, recordedAt: "1800-01-01T12:00:00.000Z" }] }));
      const stored = await query<{ at: string }>(url.toString(), `SELECT to_char("recordedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS at FROM "Reading" WHERE metric = 'old'`);
      expect(stored).toEqual([{ at: "1800-01-01 12:00:00.000" }]);
      const owner = await signUpUser(t.url);
      const device = await addDevice(t.url, owner.token);
      const before = Date.now();
      expectData(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1, recordedAt: "2026-12-04T07:00:00.000Z" }] }));
      const beat = expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey }));
      await t.server.services.activity.flush();
      const read = expectData(
        await gql(
          t.url,
          `query($id: ID!) { device(id: $id) { createdAt lastSeenAt readings(since: "2026-12-04T06:30:00Z", until: "2026-12-04T07:30:00Z") { edges { node { recordedAt } } } } }`,
          { id: device.id },
          { token: owner.token },
        ),
      );
      expect(read.device.readings.edges).toEqual([{ node: { recordedAt: "2026-12-04T07:00:00.000Z" } }]);
      expect(read.device.lastSeenAt).toBe(beat.heartbeat.serverTime);
      expect(Math.abs(Date.parse(read.device.createdAt) - before)).toBeLessThan(60_000);
    } finally {
      await t.stop();
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
