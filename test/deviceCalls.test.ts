import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { addDevice, expectData, expectError, gql, HEARTBEAT, REPORT, signUpUser, type TestDevice, type TestUser } from "./helpers/client.js";
import { mintApiKey } from "../src/auth/apiKeys.js";
import { readDeviceRow } from "./helpers/db.js";

const DEVICE = `query($id: ID!) { device(id: $id) { lastSeenAt status } }`;

let t: TestServer;
let owner: TestUser;
let device: TestDevice;
beforeAll(async () => {
  t = await startTestServer({ activityFlushMs: 60_000 });
  owner = await signUpUser(t.url);
  device = await addDevice(t.url, owner.token);
});
afterAll(() => t.stop());

describe("@apiKey", () => {
  it("refuses an empty key with API_KEY_REQUIRED and 400", async () => {
    expectError(await gql(t.url, HEARTBEAT, { k: "" }), "API_KEY_REQUIRED", 400);
    expectError(await gql(t.url, HEARTBEAT, { k: "   " }), "API_KEY_REQUIRED", 400);
  });

  it("refuses unknown, malformed and mistyped keys alike with INVALID_API_KEY and 403", async () => {
    const mistyped = device.apiKey.slice(0, 10) + (device.apiKey[10] === "a" ? "b" : "a") + device.apiKey.slice(11);
    const candidates = ["nope", "fq_", `${device.apiKey}x`, device.apiKey.toUpperCase(), mistyped, mintApiKey().key];
    const messages = new Set<string>();
    for (const key of candidates) {
      const response = await gql(t.url, HEARTBEAT, { k: key });
      expectError(response, "INVALID_API_KEY", 403);
      messages.add(response.body.errors![0]!.message);
    }
    expect(messages.size).toBe(1);
  });

  it("checks every aliased field on its own: one good key does not carry a bad one", async () => {
    const response = await gql(
      t.url,
      `mutation($good: String!, $bad: String!) { a: heartbeat(apiKey: $good) { deviceId } b: heartbeat(apiKey: $bad) { deviceId } }`,
      { good: device.apiKey, bad: mintApiKey().key },
    );
    expect(response.body.data).toBeNull();
    expect(response.body.errors?.map((e) => e.extensions?.code)).toContain("INVALID_API_KEY");
  });

  it("hands the resolver the key's own device, whatever else the call says", async () => {
    const other = await addDevice(t.url, owner.token);
    const data = expectData(await gql(t.url, HEARTBEAT, { k: other.apiKey }));
    expect(data.heartbeat.deviceId).toBe(other.id);
  });
});

describe("key verification", () => {
  const lookups = async () => {
    const text = await (await fetch(`${t.origin}/metrics`)).text();
    return Number(/^fleetql_api_key_lookups_total\{service="fleetql"\} (\d+)$/m.exec(text)![1]);
  };

  it("answers a warm key from memory, refuses a bad checksum without the database, and looks an unknown key up once", async () => {
    const fresh = await addDevice(t.url, owner.token);
    const start = await lookups();
    expectData(await gql(t.url, HEARTBEAT, { k: fresh.apiKey }));
    expect(await lookups()).toBe(start + 1);
    for (let i = 0; i < 20; i++) expectData(await gql(t.url, HEARTBEAT, { k: fresh.apiKey }));
    expect(await lookups()).toBe(start + 1);
    const mistyped = fresh.apiKey.slice(0, -1) + (fresh.apiKey.endsWith("A") ? "B" : "A");
    for (let i = 0; i < 5; i++) expectError(await gql(t.url, HEARTBEAT, { k: mistyped }), "INVALID_API_KEY", 403);
    expect(await lookups()).toBe(start + 1);
    const unknown = mintApiKey().key;
    for (let i = 0; i < 5; i++) expectError(await gql(t.url, HEARTBEAT, { k: unknown }), "INVALID_API_KEY", 403);
    expect(await lookups()).toBe(start + 2);
  });
});

describe("heartbeat", () => {
  it("records lastSeenAt and status, readable at once though the write is coalesced", async () => {
    const before = Date.now();
    const data = expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey, s: { firmware: "1.2.3", battery: 0.87 } }));
    const serverTime = Date.parse(data.heartbeat.serverTime);
    expect(serverTime).toBeGreaterThanOrEqual(before - 1000);
    const read = expectData(await gql(t.url, DEVICE, { id: device.id }, { token: owner.token }));
    expect(read.device).toEqual({ lastSeenAt: data.heartbeat.serverTime, status: { firmware: "1.2.3", battery: 0.87 } });
  });

  it("keeps the previous status when a heartbeat carries none, and clears it on an explicit null", async () => {
    expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey, s: { mode: "eco" } }));
    const second = expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey }));
    let read = expectData(await gql(t.url, DEVICE, { id: device.id }, { token: owner.token }));
    expect(read.device).toEqual({ lastSeenAt: second.heartbeat.serverTime, status: { mode: "eco" } });
    expectData(await gql(t.url, `mutation($k: String!) { heartbeat(apiKey: $k, status: null) { deviceId } }`, { k: device.apiKey }));
    read = expectData(await gql(t.url, DEVICE, { id: device.id }, { token: owner.token }));
    expect(read.device.status).toBeNull();
  });

  it("refuses a status nested deeper than 32 levels with BAD_USER_INPUT", async () => {
    // Written by hand: JSON.stringify itself would overflow the stack on it.
    const deep = `${'{"d":'.repeat(5000)}1${"}".repeat(5000)}`;
    const response = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"query":${JSON.stringify(HEARTBEAT)},"variables":{"k":"${device.apiKey}","s":${deep}}}`,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe("BAD_USER_INPUT");
    let fine: unknown = 1;
    for (let i = 0; i < 32; i++) fine = [fine];
    expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey, s: fine }));
  });

  it("refuses a status whose keys hold unpaired surrogates, as it refuses such values", async () => {
    expectError(await gql(t.url, HEARTBEAT, { k: device.apiKey, s: { "a\ud800": 1 } }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, HEARTBEAT, { k: device.apiKey, s: { a: "\ud800" } }), "BAD_USER_INPUT", 400);
  });

  it("refuses a bare word in a status written inline, which JSON cannot hold, rather than drop it", async () => {
    const inline = (status: string) => gql(t.url, `mutation($k: String!) { heartbeat(apiKey: $k, status: ${status}) { deviceId } }`, { k: device.apiKey });
    for (const status of ["{ mode: ECO }", "{ a: [1, { b: ON }] }", "ECO"]) {
      const response = await inline(status);
      expect(response.status).toBe(400);
      expect(response.body.errors![0]!.message).toMatch(/JSON cannot hold the bare word (ECO|ON): quote it as a string/);
    }
    expectData(await inline(`{ mode: "ECO", list: [1, 2.5, true, null] }`));
    const read = expectData(await gql(t.url, DEVICE, { id: device.id }, { token: owner.token }));
    expect(read.device.status).toEqual({ mode: "ECO", list: [1, 2.5, true, null] });
  });

  it("refuses a status document over 16 KiB with BAD_USER_INPUT", async () => {
    expectError(await gql(t.url, HEARTBEAT, { k: device.apiKey, s: { blob: "x".repeat(17_000) } }), "BAD_USER_INPUT", 400);
  });

  it("counts a reading report as being seen, keeping the status, coalesced like a heartbeat", async () => {
    const reporter = await addDevice(t.url, owner.token);
    expectData(await gql(t.url, HEARTBEAT, { k: reporter.apiKey, s: { mode: "field" } }));
    const beat = Date.parse(expectData(await gql(t.url, DEVICE, { id: reporter.id }, { token: owner.token })).device.lastSeenAt);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expectData(await gql(t.url, REPORT, { k: reporter.apiKey, r: [{ metric: "m", value: 1 }] }));
    const read = expectData(await gql(t.url, DEVICE, { id: reporter.id }, { token: owner.token }));
    expect(Date.parse(read.device.lastSeenAt)).toBeGreaterThan(beat);
    expect(read.device.status).toEqual({ mode: "field" });
    await t.server.services.activity.flush();
    const stored = await readDeviceRow(t.databaseUrl, reporter.id);
    expect(stored.lastSeenAt).toBe(read.device.lastSeenAt);
    expect(JSON.parse(stored.status!)).toEqual({ mode: "field" });
  });

  it("writes coalesced activity to the database on flush", async () => {
    const data = expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey, s: { flushed: true } }));
    await t.server.services.activity.flush();
    const stored = await readDeviceRow(t.databaseUrl, device.id);
    expect(stored.lastSeenAt).toBe(data.heartbeat.serverTime);
    expect(JSON.parse(stored.status!)).toEqual({ flushed: true });
  });
});
