// SQLite keeps every instant as integer milliseconds: Prisma's adapter and FleetQL's own
// statements must agree, since SQLite orders any integer before any text and a mix would
// make time filters silently wrong. Databases from before are converted when they migrate.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { startTestServer, TEST_JWT } from "../helpers/server.js";
import { query } from "../helpers/db.js";
import { addDevice, expectData, expectError, gql, HEARTBEAT, REPORT, signUpUser } from "../helpers/client.js";
import { loadMigrations } from "../../src/db/migrations.js";
import { mintApiKey } from "../../src/auth/apiKeys.js";
import { signUserToken } from "../../src/auth/jwt.js";

const INSTANT_COLUMNS: Record<string, string[]> = {
  User: ["createdAt"],
  Device: ["createdAt", "lastSeenAt", "revokedAt"],
  Reading: ["recordedAt", "receivedAt"],
  ReportBatch: ["createdAt"],
  ApiKey: ["createdAt", "expiresAt", "endsAt"],
  KeyRefusal: ["hour"],
  KeyEvent: ["at"],
};

/** For every instant column: how many rows hold a value, and of what SQLite types. */
async function instantTypes(url: string): Promise<Record<string, string[]>> {
  const types: Record<string, string[]> = {};
  for (const [table, columns] of Object.entries(INSTANT_COLUMNS)) {
    for (const column of columns) {
      const rows = await query<{ type: string }>(url, `SELECT DISTINCT typeof("${column}") AS type FROM "${table}" WHERE "${column}" IS NOT NULL`);
      types[`${table}.${column}`] = rows.map((row) => row.type);
    }
  }
  return types;
}

/** A database as the two migrations before integer instants left it. */
function databaseBeforeIntegerTimestamps(): { dir: string; file: string; raw: Database.Database } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-instants-"));
  const [init, keyLifecycle] = loadMigrations("sqlite");
  const file = path.join(dir, "fleetql.db");
  const raw = new Database(file);
  raw.exec(init!.sql);
  raw.exec(keyLifecycle!.sql);
  raw.exec(`CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`);
  for (const migration of [init!, keyLifecycle!]) {
    raw.prepare(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES (?, ?, ?, ?, 1)`)
      .run(randomUUID(), migration.checksum, Date.now(), migration.name);
  }
  return { dir, file, raw };
}

const ROTATE = `mutation($id: ID!, $g: Int, $x: DateTime) { rotateDeviceKey(id: $id, graceSeconds: $g, expiresAt: $x) { apiKey } }`;
const READINGS = `query($id: ID!, $since: DateTime, $until: DateTime) {
  device(id: $id) { createdAt lastSeenAt readings(since: $since, until: $until) { edges { node { value recordedAt } } } }
}`;

describe("instants in SQLite", () => {
  it("are written as integer milliseconds by every path, Prisma's and FleetQL's own", async () => {
    const t = await startTestServer();
    let stopped = false;
    try {
      const owner = await signUpUser(t.url);
      const device = await addDevice(t.url, owner.token);
      expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey, s: { ok: true } }));
      expectData(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1, recordedAt: "2026-01-01T00:00:00.5Z" }], b: "b1" }));
      const next = expectData(await gql(t.url, ROTATE, { id: device.id, g: 3600, x: "2099-01-01T00:00:00Z" }, { token: owner.token })).rotateDeviceKey.apiKey;
      expectData(await gql(t.url, ROTATE, { id: device.id, g: 0, x: null }, { token: owner.token }));
      // The first key, now rotated out, counts as a refusal of that key in this hour.
      expectError(await gql(t.url, HEARTBEAT, { k: device.apiKey }), "INVALID_API_KEY", 403);
      expectError(await gql(t.url, HEARTBEAT, { k: next }), "INVALID_API_KEY", 403);
      expectData(await gql(t.url, `mutation($id: ID!) { revokeDevice(id: $id) { id } }`, { id: device.id }, { token: owner.token }));
      // Shutdown writes the coalesced heartbeat and the refusal counts.
      await t.server.stop();
      stopped = true;
      const types = await instantTypes(t.databaseUrl);
      for (const [column, seen] of Object.entries(types)) expect([column, seen]).toEqual([column, ["integer"]]);
    } finally {
      if (stopped) fs.rmSync(t.database.dir!, { recursive: true, force: true });
      else await t.stop();
    }
  });

  it("are converted from the ISO text of earlier versions when the database migrates, every column and every row", async () => {
    const { dir, file, raw } = databaseBeforeIntegerTimestamps();
    try {
      const text = (iso: string) => iso.replace("Z", "+00:00");
      const userId = randomUUID();
      const deviceId = randomUUID();
      const retiredId = randomUUID();
      const minted = mintApiKey();
      const oldKey = mintApiKey();
      // SQLite's own CURRENT_TIMESTAMP form, as the column defaults would write it.
      raw.prepare(`INSERT INTO "User" (id, email, passwordHash, createdAt) VALUES (?, 'old@example.com', 'x', '2025-05-01 10:00:00')`).run(userId);
      raw.prepare(`INSERT INTO "Device" (id, ownerId, name, keyPrefix, createdAt, lastSeenAt) VALUES (?, ?, 'old', ?, ?, ?)`)
        .run(deviceId, userId, minted.keyPrefix, text("2025-05-01T10:00:00.250Z"), text("2025-06-01T00:00:00.000Z"));
      // A row partly written by a newer instance already (an integer) and partly by an older one.
      raw.prepare(`INSERT INTO "Device" (id, ownerId, name, keyPrefix, createdAt, lastSeenAt, revokedAt) VALUES (?, ?, 'retired', ?, ?, ?, ?)`)
        .run(retiredId, userId, oldKey.keyPrefix, text("2025-01-01T00:00:00.000Z"), Date.UTC(2025, 1, 1), text("2025-03-01T12:00:00.001Z"));
      raw.prepare(`INSERT INTO "ApiKey" (id, deviceId, keyHash, keyPrefix, createdAt) VALUES (?, ?, ?, ?, ?)`)
        .run(randomUUID(), deviceId, minted.keyHash, minted.keyPrefix, text("2025-05-01T10:00:00.250Z"));
      const oldKeyId = randomUUID();
      raw.prepare(`INSERT INTO "ApiKey" (id, deviceId, keyHash, keyPrefix, createdAt, expiresAt, endsAt) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(oldKeyId, retiredId, oldKey.keyHash, oldKey.keyPrefix, text("2025-01-01T00:00:00.000Z"), text("2026-01-01T00:00:00.000Z"), text("2025-02-01T00:00:00.000Z"));
      raw.prepare(`INSERT INTO "KeyRefusal" (apiKeyId, deviceId, hour, count) VALUES (?, ?, ?, 3)`).run(oldKeyId, retiredId, text("2025-02-02T05:00:00.000Z"));
      raw.prepare(`INSERT INTO "KeyEvent" (deviceId, kind, at, apiKeyId, keyPrefix) VALUES (?, 'revoked', ?, ?, ?)`).run(retiredId, text("2025-03-01T12:00:00.001Z"), oldKeyId, oldKey.keyPrefix);
      raw.prepare(`INSERT INTO "ReportBatch" (deviceId, batchId, accepted, createdAt) VALUES (?, 'b1', 4, ?)`).run(deviceId, text("2025-06-01T05:00:00.000Z"));
      const insertReading = raw.prepare(`INSERT INTO "Reading" (deviceId, metric, value, recordedAt, receivedAt) VALUES (?, 'm', ?, ?, ?)`);
      for (let hour = 0; hour < 4; hour++) {
        insertReading.run(deviceId, hour, text(new Date(Date.UTC(2025, 5, 1, hour, 0, 0, 125)).toISOString()), text("2025-06-01T05:00:00.000Z"));
      }
      raw.close();

      const t = await startTestServer({ database: { provider: "sqlite", url: `file:${file}`, dir, drop: async () => {} } });
      try {
        const types = await instantTypes(t.databaseUrl);
        for (const [column, seen] of Object.entries(types)) expect([column, seen]).toEqual([column, ["integer"]]);
        const instants = async (sql: string) => Object.values((await query<Record<string, number>>(t.databaseUrl, sql))[0]!).map((ms) => new Date(ms).toISOString());
        expect(await instants(`SELECT createdAt FROM "User"`)).toEqual(["2025-05-01T10:00:00.000Z"]);
        expect(await instants(`SELECT createdAt, lastSeenAt, revokedAt FROM "Device" WHERE name = 'retired'`)).toEqual([
          "2025-01-01T00:00:00.000Z",
          "2025-02-01T00:00:00.000Z",
          "2025-03-01T12:00:00.001Z",
        ]);
        expect(await instants(`SELECT expiresAt, endsAt FROM "ApiKey" WHERE expiresAt IS NOT NULL`)).toEqual(["2026-01-01T00:00:00.000Z", "2025-02-01T00:00:00.000Z"]);
        expect(await instants(`SELECT hour FROM "KeyRefusal"`)).toEqual(["2025-02-02T05:00:00.000Z"]);
        expect(await instants(`SELECT at FROM "KeyEvent"`)).toEqual(["2025-03-01T12:00:00.001Z"]);
        expect(await instants(`SELECT createdAt FROM "ReportBatch"`)).toEqual(["2025-06-01T05:00:00.000Z"]);

        // The old key still works, and a reading sent now sorts among the converted ones.
        expectData(await gql(t.url, REPORT, { k: minted.key, r: [{ metric: "m", value: 99, recordedAt: "2025-06-01T01:30:00Z" }] }));
        const token = signUserToken(TEST_JWT, { userId, version: 0 });
        const read = expectData(await gql(t.url, READINGS, { id: deviceId, since: "2025-06-01T01:00:00.125Z", until: "2025-06-01T03:00:00.125Z" }, { token }));
        expect(read.device.createdAt).toBe("2025-05-01T10:00:00.250Z");
        expect(read.device.readings.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
          { value: 2, recordedAt: "2025-06-01T02:00:00.125Z" },
          { value: 99, recordedAt: "2025-06-01T01:30:00.000Z" },
          { value: 1, recordedAt: "2025-06-01T01:00:00.125Z" },
        ]);
      } finally {
        await t.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stop the migration, leaving the database as it was, when some stored time cannot be read", async () => {
    const { dir, file, raw } = databaseBeforeIntegerTimestamps();
    try {
      const userId = randomUUID();
      raw.prepare(`INSERT INTO "User" (id, email, passwordHash, createdAt) VALUES (?, 'a@example.com', 'x', '2025-05-01T10:00:00.000+00:00')`).run(userId);
      raw.prepare(`INSERT INTO "Device" (id, ownerId, name, keyPrefix, createdAt, revokedAt) VALUES (?, ?, 'broken', 'fq_x', '2025-05-01T10:00:00.000+00:00', 'sometime')`).run(randomUUID(), userId);
      raw.close();
      await expect(startTestServer({ database: { provider: "sqlite", url: `file:${file}`, dir, drop: async () => {} } })).rejects.toThrow(/unconvertible text instants in Device/);
      const check = new Database(file, { readonly: true });
      try {
        expect(check.prepare(`SELECT createdAt FROM "User"`).pluck().get()).toBe("2025-05-01T10:00:00.000+00:00");
        expect(check.prepare(`SELECT revokedAt FROM "Device"`).pluck().get()).toBe("sometime");
        expect(check.prepare(`SELECT count(*) FROM "_prisma_migrations"`).pluck().get()).toBe(2);
      } finally {
        check.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
