// With REDIS_URL, two FleetQL instances count rate limits together and hear of key changes
// at once; without a reachable Redis they carry on alone. Redis runs at 127.0.0.1:6379 on the
// development and CI machines; each run namespaces its keys so runs never collide.
import net from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { addDevice, expectData, expectError, gql, HEARTBEAT, PASSWORD, signUpUser } from "./helpers/client.js";
import { startServerPair, type RunningServer, type ServerPair } from "./helpers/process.js";
import type { RateLimits } from "../src/config.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

async function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port || 6379), hostname, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

const available = await reachable(REDIS_URL);
if (!available) {
  if (process.env.CI) throw new Error(`Redis is not reachable at ${REDIS_URL}; CI must run the shared-state tests`);
  console.warn(`Skipping the shared-state tests: Redis is not reachable at ${REDIS_URL} (set REDIS_URL).`);
}

const LIMITS: RateLimits = {
  device: { perSecond: 1, burst: 4 },
  auth: { perSecond: 1, burst: 3 },
  refusedKeys: { perSecond: 1, burst: 1000 },
};
const LOG_IN = `mutation($e: EmailAddress!, $p: String!) { logIn(email: $e, password: $p) { token } }`;

describe.skipIf(!available)("two instances sharing Redis", () => {
  let database: TestDatabase;
  const prefix = `fleetql-test:${randomUUID()}:`;
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => new Date(now) };
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    // A poll once a minute: anything seen within a second came through Redis.
    database = await createTestDatabase();
    const options = { database, clock, rateLimits: LIMITS, redisUrl: REDIS_URL, redisPrefix: prefix, keyEventPollMs: 60_000 };
    a = await startTestServer(options);
    b = await startTestServer(options);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it("counts logIn attempts from one address across both", async () => {
    now += 60_000;
    const owner = await signUpUser(a.url); // 1 of 3
    expectData(await gql(b.url, LOG_IN, { e: owner.email, p: PASSWORD })); // 2
    expectData(await gql(a.url, LOG_IN, { e: owner.email, p: PASSWORD })); // 3
    const refused = await gql(b.url, LOG_IN, { e: owner.email, p: PASSWORD });
    expectError(refused, "RATE_LIMITED", 429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expectError(await gql(a.url, LOG_IN, { e: owner.email, p: PASSWORD }), "RATE_LIMITED", 429);
    now += 1000;
    expectData(await gql(a.url, LOG_IN, { e: owner.email, p: PASSWORD }));
  });

  it("counts a device's calls across both", async () => {
    now += 60_000;
    const owner = await signUpUser(a.url);
    const device = await addDevice(a.url, owner.token);
    for (const server of [a, b, a, b]) expectData(await gql(server.url, HEARTBEAT, { k: device.apiKey }));
    expectError(await gql(a.url, HEARTBEAT, { k: device.apiKey }), "RATE_LIMITED", 429);
    expectError(await gql(b.url, HEARTBEAT, { k: device.apiKey }), "RATE_LIMITED", 429);
  });

  it("refuses on one a key revoked through the other well within a second", async () => {
    now += 60_000;
    const owner = await signUpUser(a.url);
    const device = await addDevice(a.url, owner.token);
    expectData(await gql(b.url, HEARTBEAT, { k: device.apiKey })); // cached on b
    expectData(await gql(a.url, `mutation($id: ID!) { revokeDevice(id: $id) { id } }`, { id: device.id }, { token: owner.token }));
    const start = Date.now();
    for (;;) {
      const answer = await gql(b.url, HEARTBEAT, { k: device.apiKey });
      if (answer.status === 403) break;
      expect(Date.now() - start).toBeLessThan(1000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});

describe.skipIf(!available)("two server processes sharing Redis", () => {
  const prefix = `fleetql-test:${randomUUID()}:`;
  let pair: ServerPair;
  let a: RunningServer;
  let b: RunningServer;
  beforeAll(async () => {
    pair = await startServerPair({
      JWT_SECRET: "redis-processes-test-secret-0123456789abcdef",
      REDIS_URL,
      REDIS_PREFIX: prefix,
      DEVICE_RATE_PER_SECOND: "1",
      DEVICE_RATE_BURST: "4",
      AUTH_RATE_PER_MINUTE: "1000000",
      REFUSED_KEY_RATE_PER_MINUTE: "1000000",
    });
    ({ a, b } = pair);
  }, 60_000);
  afterAll(async () => {
    await pair?.stop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it("hold a device to one rate between them: its burst of 4 spent across both, each refuses the fifth call", async () => {
    const owner = await signUpUser(a.url);
    const device = await addDevice(a.url, owner.token);
    for (const server of [a, b, a, b]) expectData(await gql(server.url, HEARTBEAT, { k: device.apiKey }));
    const refused = await gql(a.url, HEARTBEAT, { k: device.apiKey });
    expectError(refused, "RATE_LIMITED", 429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expectError(await gql(b.url, HEARTBEAT, { k: device.apiKey }), "RATE_LIMITED", 429);
  });
});

describe("an instance whose Redis is unreachable", () => {
  it("serves people and devices, counting on its own", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const t = await startTestServer({ rateLimits: LIMITS, redisUrl: `redis://127.0.0.1:${port}` });
    try {
      const owner = await signUpUser(t.url);
      const device = await addDevice(t.url, owner.token);
      for (let i = 0; i < 4; i++) expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey }));
      expectError(await gql(t.url, HEARTBEAT, { k: device.apiKey }), "RATE_LIMITED", 429);
    } finally {
      await t.stop();
    }
  });
});
