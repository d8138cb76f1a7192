// Keys over a device's life: rotation with a grace period, expiry, the audit trail the owner
// reads, and upgrading a database whose keys predate all this. The clock is the test's, so
// grace periods and expiries end exactly when the test says.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { createTestDatabase, TEST_PROVIDER } from "./helpers/db.js";
import { addDevice, expectData, expectError, gql, HEARTBEAT, signUpUser, type TestUser } from "./helpers/client.js";
import { loadMigrations } from "../src/db/migrations.js";
import { mintApiKey } from "../src/auth/apiKeys.js";

const HOUR = 3_600_000;
let now = Date.UTC(2026, 0, 1);
const clock = { now: () => new Date(now) };
let t: TestServer;
let owner: TestUser;
beforeAll(async () => {
  t = await startTestServer({ clock });
  owner = await signUpUser(t.url);
});
afterAll(() => t.stop());

const ADD = `mutation($n: String!, $x: DateTime) { addDevice(name: $n, expiresAt: $x) { apiKey device { id keyPrefix } } }`;
const ROTATE = `mutation($id: ID!, $g: Int, $x: DateTime) { rotateDeviceKey(id: $id, graceSeconds: $g, expiresAt: $x) { apiKey device { keyPrefix } } }`;
const KEYS = `query($id: ID!) { device(id: $id) { keys { keyPrefix createdAt expiresAt endsAt } } }`;
const EVENTS = `query($id: ID!, $first: Int, $after: String) {
  device(id: $id) { keyEvents(first: $first, after: $after) { edges { cursor node { kind at keyPrefix count } } pageInfo { hasNextPage endCursor } } }
}`;

const iso = (ms: number) => new Date(ms).toISOString();
const prefix = (key: string) => key.slice(0, 9);

async function add(expiresAt?: number) {
  const data = expectData(await gql(t.url, ADD, { n: `d-${randomUUID()}`, x: expiresAt === undefined ? null : iso(expiresAt) }, { token: owner.token }));
  return { id: data.addDevice.device.id as string, key: data.addDevice.apiKey as string };
}

async function rotate(id: string, graceSeconds?: number, expiresAt?: number): Promise<string> {
  const data = expectData(await gql(t.url, ROTATE, { id, g: graceSeconds, x: expiresAt === undefined ? null : iso(expiresAt) }, { token: owner.token }));
  return data.rotateDeviceKey.apiKey;
}

const works = async (key: string) => expectData(await gql(t.url, HEARTBEAT, { k: key }));
const refused = async (key: string) => expectError(await gql(t.url, HEARTBEAT, { k: key }), "INVALID_API_KEY", 403);

async function keysOf(id: string) {
  return expectData(await gql(t.url, KEYS, { id }, { token: owner.token })).device.keys;
}

async function eventsOf(id: string, first?: number, after?: string) {
  return expectData(await gql(t.url, EVENTS, { id, first, after }, { token: owner.token })).device.keyEvents;
}

describe("rotation with a grace period", () => {
  it("keeps the old key working until the grace period ends, and the new key at once", async () => {
    const device = await add();
    await works(device.key);
    const next = await rotate(device.id, 3600);
    await works(next);
    await works(device.key);
    expect(await keysOf(device.id)).toEqual([
      { keyPrefix: prefix(next), createdAt: iso(now), expiresAt: null, endsAt: null },
      { keyPrefix: prefix(device.key), createdAt: iso(now), expiresAt: null, endsAt: iso(now + HOUR) },
    ]);
    now += HOUR - 1;
    await works(device.key);
    now += 1;
    await refused(device.key);
    await works(next);
    expect((await keysOf(device.id)).map((k: { keyPrefix: string }) => k.keyPrefix)).toEqual([prefix(next)]);
  });

  it("ends the old key at once with no grace period (the default)", async () => {
    const device = await add();
    await works(device.key);
    const next = await rotate(device.id);
    await refused(device.key);
    await works(next);
  });

  it("never leaves more than two working keys: a key still in grace ends at the next rotation", async () => {
    const device = await add();
    const second = await rotate(device.id, 3600);
    const third = await rotate(device.id, 3600);
    await refused(device.key);
    await works(second);
    await works(third);
    expect((await keysOf(device.id)).map((k: { keyPrefix: string }) => k.keyPrefix)).toEqual([prefix(third), prefix(second)]);
  });

  it("runs ten concurrent rotations one after the other: all succeed, two keys work", async () => {
    const device = await add();
    const answers = await Promise.all(Array.from({ length: 10 }, () => gql(t.url, ROTATE, { id: device.id, g: 60 }, { token: owner.token })));
    const issued = answers.map((answer) => expectData(answer).rotateDeviceKey.apiKey as string);
    expect(new Set(issued).size).toBe(10);
    const working = (await keysOf(device.id)).map((k: { keyPrefix: string }) => k.keyPrefix);
    expect(working).toHaveLength(2);
    let accepted = 0;
    for (const key of [device.key, ...issued]) if ((await gql(t.url, HEARTBEAT, { k: key })).status === 200) accepted++;
    expect(accepted).toBe(2);
  });

  it("takes 0 to 604800 seconds and refuses anything else", async () => {
    const device = await add();
    for (const g of [-1, 604_801]) {
      expectError(await gql(t.url, ROTATE, { id: device.id, g }, { token: owner.token }), "BAD_USER_INPUT", 400);
    }
    await works(device.key);
    const next = await rotate(device.id, 604_800);
    await works(device.key);
    now += 604_800_000;
    await refused(device.key);
    await works(next);
  });

  it("lets a key's own earlier expiry end it during a grace period", async () => {
    const device = await add(now + 600_000);
    const next = await rotate(device.id, 3600);
    now += 600_000;
    await refused(device.key);
    await works(next);
    const kinds = (await eventsOf(device.id)).edges.map((e: { node: { kind: string } }) => e.node.kind);
    expect(kinds.filter((kind: string) => kind !== "REFUSED")).toEqual(["EXPIRED", "ROTATED", "CREATED"]);
  });
});

describe("expiry", () => {
  it("stops a key at its expiresAt and shows it until then", async () => {
    const device = await add(now + 60_000);
    expect(await keysOf(device.id)).toEqual([{ keyPrefix: prefix(device.key), createdAt: iso(now), expiresAt: iso(now + 60_000), endsAt: null }]);
    now += 59_999;
    await works(device.key);
    now += 1;
    await refused(device.key);
    expect(await keysOf(device.id)).toEqual([]);
    // The owner recovers the device with a rotation, which may set a new expiry.
    const next = await rotate(device.id, 0, now + 60_000);
    await works(next);
    now += 60_000;
    await refused(next);
  });

  it("refuses an expiry that is not in the future, or past 9999 once its offset is applied", async () => {
    for (const x of [iso(now), iso(now - 1), "9999-12-31T23:59:59-23:59"]) {
      expectError(await gql(t.url, ADD, { n: `d-${randomUUID()}`, x }, { token: owner.token }), "BAD_USER_INPUT", 400);
    }
    const device = await add();
    expectError(await gql(t.url, ROTATE, { id: device.id, x: iso(now) }, { token: owner.token }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, ROTATE, { id: device.id, x: "9999-12-31T23:59:59-23:59" }, { token: owner.token }), "BAD_USER_INPUT", 400);
    await works(device.key);
  });
});

describe("Device.keyEvents", () => {
  it("tells the owner what happened to each key, newest first, with refused calls counted per key and hour", async () => {
    now = Math.ceil(now / HOUR) * HOUR + 10 * HOUR;
    const start = now;
    const device = await add();
    const next = await rotate(device.id, 3600);
    // The end of the grace period is not shown before it comes.
    expect((await eventsOf(device.id)).edges.map((e: { node: { kind: string } }) => e.node.kind)).toEqual(["ROTATED", "CREATED"]);
    now += HOUR + 1000;
    for (let i = 0; i < 3; i++) await refused(device.key);
    // An unknown key belongs to no device and counts nowhere.
    await refused(mintApiKey().key);
    now += 1000;
    expectData(await gql(t.url, `mutation($id: ID!) { revokeDevice(id: $id) { id } }`, { id: device.id }, { token: owner.token }));
    await refused(next);

    const all = (await eventsOf(device.id)).edges.map((e: { node: unknown }) => e.node);
    // Refusals of one hour come before that instant's events, in no particular order of keys.
    const refusedThisHour = [
      { kind: "REFUSED", at: iso(start + HOUR), keyPrefix: prefix(next), count: 1 },
      { kind: "REFUSED", at: iso(start + HOUR), keyPrefix: prefix(device.key), count: 3 },
    ];
    expect(all.slice(1, 3)).toEqual(expect.arrayContaining(refusedThisHour));
    expect(all).toEqual([
      { kind: "REVOKED", at: iso(start + HOUR + 2000), keyPrefix: null, count: 1 },
      ...all.slice(1, 3),
      { kind: "GRACE_ENDED", at: iso(start + HOUR), keyPrefix: prefix(device.key), count: 1 },
      { kind: "ROTATED", at: iso(start), keyPrefix: prefix(next), count: 1 },
      { kind: "CREATED", at: iso(start), keyPrefix: prefix(device.key), count: 1 },
    ]);

    // Page by page, the same entries in the same order.
    const paged: unknown[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await eventsOf(device.id, 2, after);
      paged.push(...page.edges.map((e: { node: unknown }) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(paged).toEqual(all);
    expectError(await gql(t.url, EVENTS, { id: device.id, first: 501 }, { token: owner.token }), "BAD_USER_INPUT", 400);
  });

  it("refuses a cursor naming no possible event with BAD_USER_INPUT", async () => {
    const device = await add();
    const cursor = (id: string) => Buffer.from(JSON.stringify([now, id])).toString("base64url");
    for (const id of ["e9007199254740991", "e2147483648", "eNaN", "x1", "e"]) {
      expectError(await gql(t.url, EVENTS, { id: device.id, after: cursor(id) }, { token: owner.token }), "BAD_USER_INPUT", 400);
    }
    expectData(await gql(t.url, EVENTS, { id: device.id, after: cursor("e2147483647") }, { token: owner.token }));
  });

  it("is the owner's alone", async () => {
    const device = await add();
    const stranger = await signUpUser(t.url);
    const answer = expectData(await gql(t.url, EVENTS, { id: device.id }, { token: stranger.token }));
    expect(answer.device).toBeNull();
    expectError(await gql(t.url, EVENTS, { id: device.id }), "UNAUTHENTICATED", 401);
  });

  it("keeps refused calls counted just before a graceful shutdown", async () => {
    const database = await createTestDatabase();
    try {
      const first = await startTestServer({ database, clock, activityFlushMs: 60_000 });
      const person = await signUpUser(first.url);
      const device = await addDevice(first.url, person.token);
      const rotated = expectData(await gql(first.url, ROTATE, { id: device.id }, { token: person.token }));
      expect(rotated.rotateDeviceKey.apiKey).toBeTruthy();
      for (let i = 0; i < 5; i++) expectError(await gql(first.url, HEARTBEAT, { k: device.apiKey }), "INVALID_API_KEY", 403);
      await first.stop();
      const second = await startTestServer({ database, clock });
      try {
        const answer = expectData(await gql(second.url, EVENTS, { id: device.id }, { token: person.token }));
        const refusedCounts = answer.device.keyEvents.edges.filter((e: { node: { kind: string } }) => e.node.kind === "REFUSED");
        expect(refusedCounts.map((e: { node: { count: number } }) => e.node.count)).toEqual([5]);
      } finally {
        await second.stop();
      }
    } finally {
      await database.drop();
    }
  });
});

// The only databases from before key lifecycles are SQLite ones: PostgreSQL came after.
describe.skipIf(TEST_PROVIDER !== "sqlite")("upgrading a database from before key lifecycles", () => {
  it("keeps every device's key working", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-upgrade-"));
    try {
      // A database as the first migration left it, with a device and its key digest.
      const [init] = loadMigrations("sqlite");
      const raw = new Database(path.join(dir, "fleetql.db"));
      raw.exec(init!.sql);
      raw.exec(`CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
        "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
        "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`);
      raw.prepare(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES (?, ?, ?, ?, 1)`)
        .run(randomUUID(), init!.checksum, Date.now(), init!.name);
      const minted = mintApiKey();
      // ISO text, as FleetQL stored instants then (integer milliseconds came later).
      const created = new Date(now).toISOString().replace("Z", "+00:00");
      raw.prepare(`INSERT INTO "User" (id, email, passwordHash, createdAt) VALUES ('u1', 'old@example.com', 'x', ?)`).run(created);
      raw.prepare(`INSERT INTO "Device" (id, ownerId, name, keyHash, keyPrefix, createdAt) VALUES ('d1', 'u1', 'old', ?, ?, ?)`)
        .run(minted.keyHash, minted.keyPrefix, created);
      raw.close();

      const database = { provider: "sqlite" as const, url: `file:${path.join(dir, "fleetql.db")}`, dir, drop: async () => {} };
      const upgraded = await startTestServer({ database, clock });
      try {
        const beat = expectData(await gql(upgraded.url, HEARTBEAT, { k: minted.key }));
        expect(beat.heartbeat.deviceId).toBe("d1");
      } finally {
        await upgraded.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
