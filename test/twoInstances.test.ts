// Two FleetQL processes on one database behave as one service: a key rotated or revoked
// through one is refused by the other within a second, a device may report through either,
// and concurrent requests through both meet the same constraints. They start together, so
// they also race to migrate the new database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "./helpers/server.js";
import { addDevice, expectData, expectError, gql, HEARTBEAT, PASSWORD, REPORT, signUpUser } from "./helpers/client.js";
import { countReadings, createTestDatabase, readDeviceRow, type TestDatabase } from "./helpers/db.js";
import { startServerPair, type RunningServer, type ServerPair } from "./helpers/process.js";

const UNLIMITED = { AUTH_RATE_PER_MINUTE: "1000000", DEVICE_RATE_PER_SECOND: "1000000", DEVICE_RATE_BURST: "1000000", REFUSED_KEY_RATE_PER_MINUTE: "1000000" };
const JWT_SECRET = "two-instances-test-secret-0123456789abcdef";

let pair: ServerPair;
let database: TestDatabase;
let a: RunningServer;
let b: RunningServer;
beforeAll(async () => {
  pair = await startServerPair({ JWT_SECRET, ...UNLIMITED });
  ({ a, b, database } = pair);
}, 60_000);
afterAll(() => pair?.stop());

// The contract: within one second (each instance polls key events every 500 ms).
const PROPAGATION_LIMIT_MS = 1000;

async function refusedWithin(url: string, key: string, ms: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    const response = await gql(url, HEARTBEAT, { k: key });
    if (response.status === 403) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`key still accepted after ${ms} ms`);
}

describe("two server processes on one database", () => {
  it("refuses on one a key revoked through the other within a second", async () => {
    const owner = await signUpUser(a.url);
    const device = await addDevice(a.url, owner.token);
    expectData(await gql(b.url, HEARTBEAT, { k: device.apiKey })); // cached on b
    expectData(await gql(a.url, `mutation($id: ID!) { revokeDevice(id: $id) { id } }`, { id: device.id }, { token: owner.token }));
    expect(await refusedWithin(b.url, device.apiKey, PROPAGATION_LIMIT_MS)).toBeLessThan(PROPAGATION_LIMIT_MS);
  });

  it("refuses on one a key rotated out through the other within a second, and accepts the new key", async () => {
    const owner = await signUpUser(a.url);
    const device = await addDevice(a.url, owner.token);
    expectData(await gql(b.url, HEARTBEAT, { k: device.apiKey }));
    const rotated = expectData(await gql(a.url, `mutation($id: ID!) { rotateDeviceKey(id: $id) { apiKey } }`, { id: device.id }, { token: owner.token }));
    expect(await refusedWithin(b.url, device.apiKey, PROPAGATION_LIMIT_MS)).toBeLessThan(PROPAGATION_LIMIT_MS);
    expectData(await gql(b.url, HEARTBEAT, { k: rotated.rotateDeviceKey.apiKey }));
  });

  it("ends on one the sessions a password change through the other ended, within a second", async () => {
    const owner = await signUpUser(a.url);
    expectData(await gql(b.url, `{ me { id } }`, {}, { token: owner.token }));
    expectData(await gql(a.url, `mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) { token } }`, { c: PASSWORD, n: "another long passphrase 123" }, { token: owner.token }));
    const start = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - start < PROPAGATION_LIMIT_MS) {
      status = (await gql(b.url, `{ me { id } }`, {}, { token: owner.token })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(401);
    expect(Date.now() - start).toBeLessThan(PROPAGATION_LIMIT_MS);
  });

  it("refuses on one the keys of an account deleted through the other within a second", async () => {
    const owner = await signUpUser(a.url);
    const device = await addDevice(a.url, owner.token);
    expectData(await gql(b.url, HEARTBEAT, { k: device.apiKey }));
    expectData(await gql(a.url, `mutation($p: String!) { deleteAccount(password: $p) }`, { p: PASSWORD }, { token: owner.token }));
    expect(await refusedWithin(b.url, device.apiKey, PROPAGATION_LIMIT_MS)).toBeLessThan(PROPAGATION_LIMIT_MS);
  });

  it("takes a device's reports through either, and knows a batch resent to the other", async () => {
    const owner = await signUpUser(a.url);
    const device = await addDevice(b.url, owner.token);
    const readings = [{ metric: "t", value: 1 }, { metric: "t", value: 2 }];
    expect(expectData(await gql(a.url, REPORT, { k: device.apiKey, r: readings, b: "one" })).reportReadings).toEqual({ accepted: 2, duplicate: false });
    expect(expectData(await gql(b.url, REPORT, { k: device.apiKey, r: readings.slice(1), b: "two" })).reportReadings).toEqual({ accepted: 1, duplicate: false });
    expect(expectData(await gql(b.url, REPORT, { k: device.apiKey, r: readings, b: "one" })).reportReadings).toEqual({ accepted: 2, duplicate: true });
    expect(await countReadings(database.url, device.id)).toBe(3);
    const read = `query($id: ID!) { device(id: $id) { readings { edges { node { value } } } } }`;
    for (const server of [a, b]) {
      expect(expectData(await gql(server.url, read, { id: device.id }, { token: owner.token })).device.readings.edges).toHaveLength(3);
    }
  });

  it("lets exactly one of ten concurrent adds of one name through both succeed", async () => {
    const owner = await signUpUser(a.url);
    const add = `mutation($n: String!) { addDevice(name: $n) { device { id } } }`;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => gql((i % 2 ? a : b).url, add, { n: "kitchen" }, { token: owner.token })));
    expect(answers.filter((r) => r.status === 200 && !r.body.errors)).toHaveLength(1);
    const refused = answers.filter((r) => r.body.errors);
    expect(refused).toHaveLength(9);
    for (const r of refused) expectError(r, "DEVICE_NAME_TAKEN", 400);
  });
});

describe("two instances writing heartbeats late", () => {
  it("never lets an older heartbeat written late overwrite a newer one", async () => {
    const shared = await createTestDatabase();
    const first = await startTestServer({ database: shared });
    const second = await startTestServer({ database: shared });
    try {
      const owner = await signUpUser(first.url);
      const device = await addDevice(first.url, owner.token);
      const older = expectData(await gql(first.url, HEARTBEAT, { k: device.apiKey, s: "older" }));
      const newer = expectData(await gql(second.url, HEARTBEAT, { k: device.apiKey, s: "newer" }));
      await second.server.services.activity.flush();
      await first.server.services.activity.flush();
      const stored = await readDeviceRow(shared.url, device.id);
      expect(stored.lastSeenAt).toBe(newer.heartbeat.serverTime);
      expect(stored.status).toBe('"newer"');
      expect(older.heartbeat.serverTime <= newer.heartbeat.serverTime).toBe(true);
    } finally {
      await first.stop();
      await second.stop();
      await shared.drop();
    }
  });
});

describe("an instance that has not yet heard of a deleted account", () => {
  it("refuses the account's device keys with INVALID_API_KEY, never a 500", async () => {
    const shared = await createTestDatabase();
    // A poll once a minute: the second instance learns of the deletion only from its own writes.
    const first = await startTestServer({ database: shared, keyEventPollMs: 60_000 });
    const second = await startTestServer({ database: shared, keyEventPollMs: 60_000 });
    try {
      const owner = await signUpUser(first.url);
      const device = await addDevice(first.url, owner.token);
      expectData(await gql(second.url, HEARTBEAT, { k: device.apiKey })); // cached on the second
      expectData(await gql(first.url, `mutation($p: String!) { deleteAccount(password: $p) }`, { p: PASSWORD }, { token: owner.token }));
      expectError(await gql(second.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1 }], b: "late" }), "INVALID_API_KEY", 403);
      expectError(await gql(second.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1 }] }), "INVALID_API_KEY", 403);
      expectError(await gql(second.url, HEARTBEAT, { k: device.apiKey }), "INVALID_API_KEY", 403);
    } finally {
      await first.stop();
      await second.stop();
      await shared.drop();
    }
  });
});
