// Too many attempts get RATE_LIMITED, HTTP 429 and Retry-After. The clock is the test's, so
// buckets refill only when the test says time has passed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { addDevice, expectData, expectError, gql, HEARTBEAT, PASSWORD, signUpUser } from "./helpers/client.js";
import { DEFAULT_RATE_LIMITS } from "../src/config.js";
import { mintApiKey } from "../src/auth/apiKeys.js";

let now = Date.UTC(2026, 0, 1);
const clock = { now: () => new Date(now) };
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ clock, rateLimits: { device: DEFAULT_RATE_LIMITS.device, auth: { perSecond: 1, burst: 3 }, refusedKeys: { perSecond: 1, burst: 5 } } });
});
afterAll(() => t.stop());

const LOG_IN = `mutation($e: EmailAddress!, $p: String!) { logIn(email: $e, password: $p) { token } }`;

describe("per-device limit (20/s, burst 40)", () => {
  it("refuses the 41st call in a burst with 429 and Retry-After, then recovers", async () => {
    // signUp counts against the address limit: let it refill first.
    now += 10_000;
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const other = await addDevice(t.url, owner.token);
    for (let i = 0; i < 40; i++) expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey }));
    const refused = await gql(t.url, HEARTBEAT, { k: device.apiKey });
    expectError(refused, "RATE_LIMITED", 429);
    expect(refused.headers.get("retry-after")).toBe("1");
    // Another device is not held back by this one.
    expectData(await gql(t.url, HEARTBEAT, { k: other.apiKey }));
    now += 1000;
    expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey }));
  });

  it("counts every aliased field on its own", async () => {
    now += 10_000;
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const aliases = Array.from({ length: 15 }, (_, i) => `a${i}: heartbeat(apiKey: $k) { deviceId }`).join(" ");
    const query = `mutation($k: String!) { ${aliases} }`;
    expectData(await gql(t.url, query, { k: device.apiKey }));
    expectData(await gql(t.url, query, { k: device.apiKey }));
    const third = await gql(t.url, query, { k: device.apiKey });
    expect(third.status).toBe(429);
    // The 41st call is the 11th alias of the third request; a non-null mutation field's error ends the operation.
    expect(third.body.errors!.map((e) => [e.extensions?.code, e.path])).toEqual([["RATE_LIMITED", ["a10"]]]);
    expectError(await gql(t.url, HEARTBEAT, { k: device.apiKey }), "RATE_LIMITED", 429);
  });
});

describe("per-address limit on signUp and logIn", () => {
  it("refuses attempts over the limit from one address, even when aliased", async () => {
    now += 60_000;
    const owner = await signUpUser(t.url); // 1 of 3
    const aliased = await gql(
      t.url,
      `mutation($e: EmailAddress!, $p: String!) { a: logIn(email: $e, password: $p) { token } b: logIn(email: $e, password: $p) { token } c: logIn(email: $e, password: $p) { token } }`,
      { e: owner.email, p: PASSWORD },
    );
    expect(aliased.status).toBe(429);
    expect(aliased.body.errors!.map((e) => e.extensions?.code)).toEqual(["RATE_LIMITED"]);
    expect(aliased.headers.get("retry-after")).toBe("1");
    now += 1000;
    expectData(await gql(t.url, LOG_IN, { e: owner.email, p: PASSWORD }));
  });
});

describe("repeated refused keys from one address (here 5, then 1/s)", () => {
  it("slows the address down without holding back keys already known good", async () => {
    now += 60_000;
    const owner = await signUpUser(t.url);
    const warm = await addDevice(t.url, owner.token);
    const cold = await addDevice(t.url, owner.token);
    expectData(await gql(t.url, HEARTBEAT, { k: warm.apiKey }));
    const unknown = mintApiKey().key;
    for (let i = 0; i < 4; i++) expectError(await gql(t.url, HEARTBEAT, { k: unknown }), "INVALID_API_KEY", 403);
    // A made-up key with a bad checksum is a refused key too.
    expectError(await gql(t.url, HEARTBEAT, { k: `${unknown.slice(0, -1)}${unknown.endsWith("A") ? "B" : "A"}` }), "INVALID_API_KEY", 403);

    const slowed = await gql(t.url, HEARTBEAT, { k: unknown });
    expectError(slowed, "RATE_LIMITED", 429);
    expect(slowed.headers.get("retry-after")).toBe("1");
    // Aliases do not buy more attempts.
    const aliased = await gql(t.url, `mutation($k: String!) { a: heartbeat(apiKey: $k) { deviceId } b: heartbeat(apiKey: $k) { deviceId } }`, { k: unknown });
    expect(aliased.status).toBe(429);
    // A key this instance has not verified yet waits too: it would cost a database look-up.
    expectError(await gql(t.url, HEARTBEAT, { k: cold.apiKey }), "RATE_LIMITED", 429);
    // A device whose key is already known good is not held back by its neighbour.
    expectData(await gql(t.url, HEARTBEAT, { k: warm.apiKey }));

    now += 1000;
    expectData(await gql(t.url, HEARTBEAT, { k: cold.apiKey }));
    expectError(await gql(t.url, HEARTBEAT, { k: unknown }), "INVALID_API_KEY", 403);
    expectError(await gql(t.url, HEARTBEAT, { k: unknown }), "RATE_LIMITED", 429);
  });
});
