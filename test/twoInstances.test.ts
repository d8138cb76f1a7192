// Two FleetQL servers on one database behave as one service: a key rotated or revoked
// through one is refused by the other within a second.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { addDevice, expectData, gql, HEARTBEAT, PASSWORD, signUpUser } from "./helpers/client.js";
import { readDeviceRow } from "./helpers/db.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-two-"));
let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  a = await startTestServer({ dir });
  b = await startTestServer({ dir });
});
afterAll(async () => {
  await a.stop();
  await b.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

// The contract is one second (a 500 ms poll); the tests allow half a second more for scheduling.
const PROPAGATION_LIMIT_MS = 1500;

async function refusedWithin(url: string, key: string, ms: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    const response = await gql(url, HEARTBEAT, { k: key });
    if (response.status === 403) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`key still accepted after ${ms} ms`);
}

describe("two instances", () => {
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

  it("never lets an older heartbeat written late overwrite a newer one", async () => {
    const owner = await signUpUser(a.url);
    const device = await addDevice(a.url, owner.token);
    const older = expectData(await gql(a.url, HEARTBEAT, { k: device.apiKey, s: "older" }));
    const newer = expectData(await gql(b.url, HEARTBEAT, { k: device.apiKey, s: "newer" }));
    await b.server.services.activity.flush();
    await a.server.services.activity.flush();
    const stored = readDeviceRow(a.databaseUrl, device.id);
    expect(stored.lastSeenAt).toBe(newer.heartbeat.serverTime.replace("Z", "+00:00"));
    expect(stored.status).toBe('"newer"');
    expect(older.heartbeat.serverTime <= newer.heartbeat.serverTime).toBe(true);
  });
});
