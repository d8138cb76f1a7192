import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { addDevice, expectData, expectError, gql, HEARTBEAT, REPORT, signUpUser, type TestUser } from "./helpers/client.js";
import { countReadings } from "./helpers/db.js";

const READINGS = `query($id: ID!, $metric: String, $since: DateTime, $until: DateTime, $first: Int, $after: String) {
  device(id: $id) { readings(metric: $metric, since: $since, until: $until, first: $first, after: $after) {
    edges { cursor node { id metric value recordedAt receivedAt } } pageInfo { hasNextPage endCursor } } } }`;

let t: TestServer;
let owner: TestUser;
beforeAll(async () => {
  t = await startTestServer();
  owner = await signUpUser(t.url);
});
afterAll(() => t.stop());

const iso = (ms: number) => new Date(ms).toISOString();
const hourAgo = Date.now() - 3600_000;

describe("reportReadings", () => {
  it("stores a batch and reads it back newest first", async () => {
    const device = await addDevice(t.url, owner.token);
    const readings = [0, 1, 2].map((i) => ({ metric: "temperature", value: 20 + i, recordedAt: iso(hourAgo + i * 1000) }));
    const data = expectData(await gql(t.url, REPORT, { k: device.apiKey, r: readings }));
    expect(data.reportReadings).toEqual({ accepted: 3, duplicate: false });
    const read = expectData(await gql(t.url, READINGS, { id: device.id }, { token: owner.token }));
    expect(read.device.readings.edges.map((e: any) => e.node.value)).toEqual([22, 21, 20]);
    expect(read.device.readings.edges[0].node).toMatchObject({ metric: "temperature", recordedAt: readings[2]!.recordedAt });
  });

  it("defaults recordedAt to the server's time", async () => {
    const device = await addDevice(t.url, owner.token);
    const before = Date.now();
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1 }] }));
    const read = expectData(await gql(t.url, READINGS, { id: device.id }, { token: owner.token }));
    const node = read.device.readings.edges[0].node;
    expect(Date.parse(node.recordedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(node.recordedAt).toBe(node.receivedAt);
  });

  it("accepts 1,000 readings and refuses 0 or 1,001 with BAD_USER_INPUT", async () => {
    const device = await addDevice(t.url, owner.token);
    const batch = (n: number) => Array.from({ length: n }, (_, i) => ({ metric: "m", value: i }));
    expectError(await gql(t.url, REPORT, { k: device.apiKey, r: [] }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, REPORT, { k: device.apiKey, r: batch(1001) }), "BAD_USER_INPUT", 400);
    expect(expectData(await gql(t.url, REPORT, { k: device.apiKey, r: batch(1000) })).reportReadings.accepted).toBe(1000);
    expect(await countReadings(t.databaseUrl, device.id)).toBe(1000);
  });

  it.each([
    ["an empty metric", { metric: "", value: 1 }],
    ["a blank metric", { metric: "   ", value: 1 }],
    ["an invisible metric", { metric: "\u200D", value: 1 }],
    ["a metric with a control character", { metric: "a\u0000b", value: 1 }],
    ["a metric with an unpaired surrogate", { metric: "a\ud800b", value: 1 }],
    ["a 65-character metric", { metric: "m".repeat(65), value: 1 }],
    ["a time more than 5 minutes ahead", { metric: "m", value: 1, recordedAt: iso(Date.now() + 6 * 60_000) }],
    ["a time before the year 1", { metric: "m", value: 1, recordedAt: "0000-12-31T23:59:59Z" }],
  ])("refuses the whole batch when one reading has %s, and stores nothing", async (_what, bad) => {
    const device = await addDevice(t.url, owner.token);
    const readings = [{ metric: "ok", value: 1 }, bad, { metric: "ok", value: 2 }];
    expectError(await gql(t.url, REPORT, { k: device.apiKey, r: readings }), "BAD_USER_INPUT", 400);
    expect(await countReadings(t.databaseUrl, device.id)).toBe(0);
  });

  it("trims metrics as it trims device names: \" temp \" and \"temp\" are one metric", async () => {
    const device = await addDevice(t.url, owner.token);
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: " temp ", value: 1, recordedAt: iso(hourAgo) }, { metric: "temp", value: 2, recordedAt: iso(hourAgo + 1) }] }));
    const read = expectData(await gql(t.url, READINGS, { id: device.id, metric: "temp\t" }, { token: owner.token }));
    expect(read.device.readings.edges.map((e: any) => [e.node.metric, e.node.value])).toEqual([["temp", 2], ["temp", 1]]);
  });

  it("refuses non-finite values, whether as a variable or a literal", async () => {
    const device = await addDevice(t.url, owner.token);
    // JSON.parse reads 1e999 as Infinity.
    const body = `{"query":${JSON.stringify(REPORT)},"variables":{"k":"${device.apiKey}","r":[{"metric":"m","value":1e999}]}}`;
    const response = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe("BAD_USER_INPUT");
    const literal = await gql(t.url, `mutation($k: String!) { reportReadings(apiKey: $k, readings: [{ metric: "m", value: 1e999 }]) { accepted } }`, { k: device.apiKey });
    expectError(literal, "BAD_USER_INPUT", 400);
    expect(await countReadings(t.databaseUrl, device.id)).toBe(0);
  });

  it("accepts a time up to 5 minutes ahead of the server", async () => {
    const device = await addDevice(t.url, owner.token);
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1, recordedAt: iso(Date.now() + 4 * 60_000) }] }));
  });

  it("stores a batch resent with the same batchId once and answers duplicate: true", async () => {
    const device = await addDevice(t.url, owner.token);
    const readings = [{ metric: "m", value: 1 }, { metric: "m", value: 2 }];
    const first = expectData(await gql(t.url, REPORT, { k: device.apiKey, r: readings, b: "batch-1" }));
    const again = expectData(await gql(t.url, REPORT, { k: device.apiKey, r: readings, b: "batch-1" }));
    expect(first.reportReadings).toEqual({ accepted: 2, duplicate: false });
    expect(again.reportReadings).toEqual({ accepted: 2, duplicate: true });
    expect(await countReadings(t.databaseUrl, device.id)).toBe(2);
    // batchIds belong to their device: another device's batch-1 is its own.
    const other = await addDevice(t.url, owner.token);
    expect(expectData(await gql(t.url, REPORT, { k: other.apiKey, r: readings, b: "batch-1" })).reportReadings.duplicate).toBe(false);
  });

  it("stores concurrent resends of one batchId once", async () => {
    const device = await addDevice(t.url, owner.token);
    const readings = Array.from({ length: 50 }, (_, i) => ({ metric: "m", value: i }));
    const results = await Promise.all(Array.from({ length: 5 }, () => gql(t.url, REPORT, { k: device.apiKey, r: readings, b: "same" })));
    expect(results.filter((r) => r.body.data?.reportReadings.duplicate === false)).toHaveLength(1);
    expect(await countReadings(t.databaseUrl, device.id)).toBe(50);
  });

  it("refuses an empty or oversized batchId with BAD_USER_INPUT", async () => {
    const device = await addDevice(t.url, owner.token);
    expectError(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1 }], b: "" }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1 }], b: "b".repeat(129) }), "BAD_USER_INPUT", 400);
  });

  it("refuses NUL characters, which PostgreSQL cannot store, in any text argument with BAD_USER_INPUT", async () => {
    const device = await addDevice(t.url, owner.token);
    expectError(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1 }], b: "boot\u0000-1" }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, READINGS, { id: device.id, metric: "m\u0000" }, { token: owner.token }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, `query($id: ID!) { device(id: $id) { id } }`, { id: "\u0000" }, { token: owner.token }), "BAD_USER_INPUT", 400);
    expect(await countReadings(t.databaseUrl, device.id)).toBe(0);
    // JSON is stored with NUL escaped, so a status may hold one.
    expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey, s: { note: "a\u0000b" } }));
    await t.server.services.activity.flush();
    const read = expectData(await gql(t.url, `query($id: ID!) { device(id: $id) { status } }`, { id: device.id }, { token: owner.token }));
    expect(read.device.status).toEqual({ note: "a\u0000b" });
  });

  it("refuses instants outside 0001 to 9999 in filters with BAD_USER_INPUT", async () => {
    const device = await addDevice(t.url, owner.token);
    for (const vars of [{ since: "0000-01-01T00:00:00Z" }, { until: "0001-01-01T00:00:00+01:00" }, { since: "9999-12-31T23:59:59-23:59" }, { until: "0000-01-01T00:00:00+23:59" }]) {
      expectError(await gql(t.url, READINGS, { id: device.id, ...vars }, { token: owner.token }), "BAD_USER_INPUT", 400);
    }
    expectData(await gql(t.url, READINGS, { id: device.id, since: "0001-01-01T00:00:00Z", until: "9999-12-31T23:59:59.999Z" }, { token: owner.token }));
  });
});

describe("Device.readings", () => {
  it("filters by metric and by time range, since inclusive and until exclusive", async () => {
    const device = await addDevice(t.url, owner.token);
    const readings = [0, 1, 2, 3].flatMap((i) => [
      { metric: "temp", value: i, recordedAt: iso(hourAgo + i * 60_000) },
      { metric: "wind", value: 10 + i, recordedAt: iso(hourAgo + i * 60_000) },
    ]);
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: readings }));
    const values = async (vars: Record<string, unknown>) =>
      expectData(await gql(t.url, READINGS, { id: device.id, ...vars }, { token: owner.token })).device.readings.edges.map((e: any) => e.node.value);
    expect(await values({ metric: "temp" })).toEqual([3, 2, 1, 0]);
    expect(await values({ metric: "wind", since: iso(hourAgo + 60_000), until: iso(hourAgo + 3 * 60_000) })).toEqual([12, 11]);
    expect(await values({ metric: "none" })).toEqual([]);
    expectError(await gql(t.url, READINGS, { id: device.id, metric: "a\ud800" }, { token: owner.token }), "BAD_USER_INPUT", 400);
  });

  it("keeps historical and offset times exactly, in time order, across 1970 and back to the year 1", async () => {
    const device = await addDevice(t.url, owner.token);
    const sent = [
      { metric: "h", value: 1, recordedAt: "0001-01-01T00:00:00Z" },
      { metric: "h", value: 2, recordedAt: "1900-02-28T23:59:59.999Z" },
      { metric: "h", value: 3, recordedAt: "1969-12-31T23:59:59.999Z" },
      { metric: "h", value: 4, recordedAt: "1970-01-01T00:00:00Z" },
      { metric: "h", value: 5, recordedAt: "2010-07-01T02:30:00.5+02:00" },
      { metric: "h", value: 6, recordedAt: "2010-07-01T00:30:00.25Z" },
    ];
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: sent }));
    const read = async (vars: Record<string, unknown>) =>
      expectData(await gql(t.url, READINGS, { id: device.id, ...vars }, { token: owner.token })).device.readings.edges.map((e: any) => [e.node.value, e.node.recordedAt]);
    expect(await read({})).toEqual([
      [5, "2010-07-01T00:30:00.500Z"],
      [6, "2010-07-01T00:30:00.250Z"],
      [4, "1970-01-01T00:00:00.000Z"],
      [3, "1969-12-31T23:59:59.999Z"],
      [2, "1900-02-28T23:59:59.999Z"],
      [1, "0001-01-01T00:00:00.000Z"],
    ]);
    expect(await read({ since: "1900-02-28T23:59:59.999Z", until: "1970-01-01T00:00:00Z" })).toEqual([
      [3, "1969-12-31T23:59:59.999Z"],
      [2, "1900-02-28T23:59:59.999Z"],
    ]);
    const page = expectData(await gql(t.url, READINGS, { id: device.id, first: 4 }, { token: owner.token })).device.readings.pageInfo;
    expect(await read({ after: page.endCursor })).toEqual([
      [2, "1900-02-28T23:59:59.999Z"],
      [1, "0001-01-01T00:00:00.000Z"],
    ]);
  });

  it("pages newest first with cursors, equal timestamps included, nothing skipped or repeated", async () => {
    const device = await addDevice(t.url, owner.token);
    const readings = Array.from({ length: 25 }, (_, i) => ({ metric: "m", value: i, recordedAt: iso(hourAgo + Math.floor(i / 5) * 1000) }));
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: readings }));
    const seen: number[] = [];
    let after: string | null = null;
    for (;;) {
      const data: any = expectData(await gql(t.url, READINGS, { id: device.id, first: 7, after }, { token: owner.token }));
      seen.push(...data.device.readings.edges.map((e: any) => e.node.value));
      if (!data.device.readings.pageInfo.hasNextPage) break;
      after = data.device.readings.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    const times = seen.map((v) => Math.floor(v / 5));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("refuses a bad cursor and page sizes outside 1 to 500 with BAD_USER_INPUT", async () => {
    const device = await addDevice(t.url, owner.token);
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const vars of [{ after: "garbage" }, { first: 0 }, { first: 501 }, { after: cursor([1, "x"]) }, { after: cursor([Number.MAX_SAFE_INTEGER, "1"]) }, { after: cursor([1, "99999999999999999999"]) }, { after: cursor([1, "-1"]) }, { after: cursor([Date.parse("0000-06-01T00:00:00Z"), "1"]) }]) {
      expectError(await gql(t.url, READINGS, { id: device.id, ...vars }, { token: owner.token }), "BAD_USER_INPUT", 400);
    }
  });

  it("never shows another owner's readings", async () => {
    const device = await addDevice(t.url, owner.token);
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1 }] }));
    const stranger = await signUpUser(t.url);
    expect(expectData(await gql(t.url, READINGS, { id: device.id }, { token: stranger.token })).device).toBeNull();
  });
});
