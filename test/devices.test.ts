import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { addDevice, expectData, expectError, gql, HEARTBEAT, REPORT, signUpUser } from "./helpers/client.js";

const ADD = `mutation($n: String!) { addDevice(name: $n) { apiKey device { id name keyPrefix createdAt lastSeenAt revokedAt status } } }`;
const ROTATE = `mutation($id: ID!) { rotateDeviceKey(id: $id) { apiKey device { id keyPrefix } } }`;
const REVOKE = `mutation($id: ID!) { revokeDevice(id: $id) { id revokedAt } }`;
const DEVICE = `query($id: ID!) { device(id: $id) { id name keyPrefix revokedAt readings { edges { node { value } } } } }`;
const DEVICES = `query($first: Int, $after: String) { devices(first: $first, after: $after) { edges { cursor node { id name revokedAt } } pageInfo { hasNextPage endCursor } } }`;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

describe("addDevice", () => {
  it("returns the device and its key, in FleetQL's key format", async () => {
    const owner = await signUpUser(t.url);
    const data = expectData(await gql(t.url, ADD, { n: "  kitchen sensor  " }, { token: owner.token }));
    const { apiKey, device } = data.addDevice;
    expect(apiKey).toMatch(/^fq_[0-9A-Za-z]{49}$/);
    expect(device).toMatchObject({ name: "kitchen sensor", lastSeenAt: null, revokedAt: null, status: null });
    expect(apiKey.startsWith(device.keyPrefix)).toBe(true);
    expect(device.keyPrefix.length).toBeLessThan(12);
  });

  it("never shows the key again: Device has no field that carries it", async () => {
    const introspection = expectData(await gql(t.url, `{ __type(name: "Device") { fields { name } } }`));
    const fields = introspection.__type.fields.map((f: { name: string }) => f.name);
    expect(fields).not.toContain("apiKey");
    expect(fields).not.toContain("keyHash");
  });

  it("requires a logged-in person", async () => {
    expectError(await gql(t.url, ADD, { n: "x" }), "UNAUTHENTICATED", 401);
  });

  it("refuses empty, blank and oversized names with BAD_USER_INPUT", async () => {
    const owner = await signUpUser(t.url);
    // A lone zero-width joiner, or one between spaces, would be a name no one can see.
    for (const name of ["", "   ", "x".repeat(101), "\u200D", " \u200D\u3000 ", "\u3164", "\u2800\u115F"]) {
      expectError(await gql(t.url, ADD, { n: name }, { token: owner.token }), "BAD_USER_INPUT", 400);
    }
    expectData(await gql(t.url, ADD, { n: "y".repeat(100) }, { token: owner.token }));
  });

  it("refuses control characters and unpaired surrogates in names with BAD_USER_INPUT", async () => {
    const owner = await signUpUser(t.url);
    for (const name of ["tab\there", "nul\u0000", "line\nbreak", "lone\ud800"]) {
      expectError(await gql(t.url, ADD, { n: name }, { token: owner.token }), "BAD_USER_INPUT", 400);
    }
    expectData(await gql(t.url, ADD, { n: "küche 🌡️" }, { token: owner.token }));
  });

  it("treats names that differ only in Unicode composition as the same name", async () => {
    const owner = await signUpUser(t.url);
    await addDevice(t.url, owner.token, "caf\u00e9");
    expectError(await gql(t.url, ADD, { n: "cafe\u0301" }, { token: owner.token }), "DEVICE_NAME_TAKEN", 400);
  });

  it("refuses a name the owner already uses with DEVICE_NAME_TAKEN, after trimming", async () => {
    const owner = await signUpUser(t.url);
    await addDevice(t.url, owner.token, "garage");
    expectError(await gql(t.url, ADD, { n: " garage " }, { token: owner.token }), "DEVICE_NAME_TAKEN", 400);
  });

  it("lets two owners each have a device with the same name", async () => {
    const [a, b] = [await signUpUser(t.url), await signUpUser(t.url)];
    await addDevice(t.url, a.token, "kitchen");
    await addDevice(t.url, b.token, "kitchen");
  });

  it("lets exactly one of ten concurrent calls with the same name win", async () => {
    const owner = await signUpUser(t.url);
    const results = await Promise.all(Array.from({ length: 10 }, () => gql(t.url, ADD, { n: "race" }, { token: owner.token })));
    const winners = results.filter((r) => r.body.data?.addDevice);
    const losers = results.filter((r) => r.body.errors?.[0]?.extensions?.code === "DEVICE_NAME_TAKEN");
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(9);
    for (const loser of losers) expect(loser.status).toBe(400);
    const list = expectData(await gql(t.url, DEVICES, {}, { token: owner.token }));
    expect(list.devices.edges).toHaveLength(1);
  });
});

describe("rotateDeviceKey", () => {
  it("refuses the old key and accepts the new one on the very next call", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey })); // warms the key cache
    const rotated = expectData(await gql(t.url, ROTATE, { id: device.id }, { token: owner.token }));
    const newKey = rotated.rotateDeviceKey.apiKey;
    expect(newKey).not.toBe(device.apiKey);
    expect(newKey.startsWith(rotated.rotateDeviceKey.device.keyPrefix)).toBe(true);
    expectError(await gql(t.url, HEARTBEAT, { k: device.apiKey }), "INVALID_API_KEY", 403);
    expectData(await gql(t.url, HEARTBEAT, { k: newKey }));
  });

  it("refuses a revoked device with BAD_USER_INPUT", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    expectData(await gql(t.url, REVOKE, { id: device.id }, { token: owner.token }));
    expectError(await gql(t.url, ROTATE, { id: device.id }, { token: owner.token }), "BAD_USER_INPUT", 400);
  });
});

describe("revokeDevice", () => {
  it("refuses the key on the very next call and keeps the device and its readings", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "t", value: 1 }] }));
    const revoked = expectData(await gql(t.url, REVOKE, { id: device.id }, { token: owner.token }));
    expect(revoked.revokeDevice.revokedAt).toEqual(expect.any(String));
    expectError(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "t", value: 2 }] }), "INVALID_API_KEY", 403);
    expectError(await gql(t.url, HEARTBEAT, { k: device.apiKey }), "INVALID_API_KEY", 403);
    const read = expectData(await gql(t.url, DEVICE, { id: device.id }, { token: owner.token }));
    expect(read.device.revokedAt).toBe(revoked.revokeDevice.revokedAt);
    expect(read.device.readings.edges.map((e: any) => e.node.value)).toEqual([1]);
    const list = expectData(await gql(t.url, DEVICES, {}, { token: owner.token }));
    expect(list.devices.edges.map((e: any) => e.node.revokedAt)).toEqual([revoked.revokeDevice.revokedAt]);
  });

  it("is idempotent: revoking twice keeps the first revocation time", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const first = expectData(await gql(t.url, REVOKE, { id: device.id }, { token: owner.token }));
    const second = expectData(await gql(t.url, REVOKE, { id: device.id }, { token: owner.token }));
    expect(second.revokeDevice.revokedAt).toBe(first.revokeDevice.revokedAt);
  });

  it("records one revocation in the key history when revoked five times at once", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const answers = await Promise.all(Array.from({ length: 5 }, () => gql(t.url, REVOKE, { id: device.id }, { token: owner.token })));
    const times = new Set(answers.map((answer) => expectData(answer).revokeDevice.revokedAt));
    expect(times.size).toBe(1);
    const history = expectData(await gql(t.url, `query($id: ID!) { device(id: $id) { keyEvents { edges { node { kind at } } } } }`, { id: device.id }, { token: owner.token }));
    const revocations = history.device.keyEvents.edges.filter((edge: { node: { kind: string } }) => edge.node.kind === "REVOKED");
    expect(revocations.map((edge: { node: { at: string } }) => edge.node.at)).toEqual([...times]);
  });
});

describe("isolation between owners", () => {
  it("shows a person only their own devices: null on reads, NOT_FOUND on mutations", async () => {
    const [alice, mallory] = [await signUpUser(t.url), await signUpUser(t.url)];
    const device = await addDevice(t.url, alice.token);
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "t", value: 1 }] }));

    expect(expectData(await gql(t.url, DEVICE, { id: device.id }, { token: mallory.token })).device).toBeNull();
    expect(expectData(await gql(t.url, DEVICES, {}, { token: mallory.token })).devices.edges).toEqual([]);
    expectError(await gql(t.url, ROTATE, { id: device.id }, { token: mallory.token }), "NOT_FOUND", 200);
    expectError(await gql(t.url, REVOKE, { id: device.id }, { token: mallory.token }), "NOT_FOUND", 200);

    // Alice's key still works: Mallory's attempts changed nothing.
    expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey }));
    expect(expectData(await gql(t.url, DEVICE, { id: device.id }, { token: alice.token })).device.revokedAt).toBeNull();
  });

  it("answers null and NOT_FOUND for ids that do not exist at all", async () => {
    const owner = await signUpUser(t.url);
    expect(expectData(await gql(t.url, DEVICE, { id: randomUUID() }, { token: owner.token })).device).toBeNull();
    expect(expectData(await gql(t.url, DEVICE, { id: "'; DROP TABLE Device; --" }, { token: owner.token })).device).toBeNull();
    expectError(await gql(t.url, DEVICE, { id: "\ud800" }, { token: owner.token }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, REVOKE, { id: "x\udfff" }, { token: owner.token }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, REVOKE, { id: randomUUID() }, { token: owner.token }), "NOT_FOUND", 200);
  });
});

describe("devices", () => {
  it("pages through the owner's devices oldest first with Relay cursors", async () => {
    const owner = await signUpUser(t.url);
    const names = ["d1", "d2", "d3", "d4", "d5"];
    for (const name of names) await addDevice(t.url, owner.token, name);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const data: any = expectData(await gql(t.url, DEVICES, { first: 2, after }, { token: owner.token }));
      seen.push(...data.devices.edges.map((e: any) => e.node.name));
      if (!data.devices.pageInfo.hasNextPage) break;
      after = data.devices.pageInfo.endCursor;
    }
    expect(seen).toEqual(names);
    const me = expectData(await gql(t.url, `{ me { devices(first: 5) { edges { node { name } } } } }`, {}, { token: owner.token }));
    expect(me.me.devices.edges.map((e: any) => e.node.name)).toEqual(names);
  });

  it("refuses a bad cursor or page size with BAD_USER_INPUT", async () => {
    const owner = await signUpUser(t.url);
    expectError(await gql(t.url, DEVICES, { after: "bm90IGEgY3Vyc29y" }, { token: owner.token }), "BAD_USER_INPUT", 400);
    const farFuture = Buffer.from(JSON.stringify([Number.MAX_SAFE_INTEGER, "x"])).toString("base64url");
    expectError(await gql(t.url, DEVICES, { after: Buffer.from('[1,"\\ud800"]').toString("base64url") }, { token: owner.token }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, DEVICES, { after: farFuture }, { token: owner.token }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, DEVICES, { first: 0 }, { token: owner.token }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, DEVICES, { first: 501 }, { token: owner.token }), "BAD_USER_INPUT", 400);
  });
});
