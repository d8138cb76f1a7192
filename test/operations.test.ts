// What an operator relies on, as a real process: health and readiness, migrations kept apart
// from start when asked, request logs that never carry a secret, Prometheus metrics, and a
// SIGTERM that acknowledges exactly what it stored.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDevice, expectData, expectError, gql, HEARTBEAT, PASSWORD, REPORT, signUpUser } from "./helpers/client.js";
import { countReadings, createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { ROOT, startServerProcess, TSX, type RunningServer } from "./helpers/process.js";
import { loadMigrations } from "../src/db/migrations.js";

const UNLIMITED = { AUTH_RATE_PER_MINUTE: "1000000", DEVICE_RATE_PER_SECOND: "1000000", DEVICE_RATE_BURST: "1000000" };
const JWT_SECRET = "operations-test-secret-0123456789abcdefgh";

let cwd: string;
beforeAll(() => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-ops-"));
});
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

async function withServer(database: TestDatabase, env: Record<string, string>, work: (server: RunningServer) => Promise<void>): Promise<string> {
  const server = await startServerProcess(cwd, { DATABASE_URL: database.url, JWT_SECRET, ...UNLIMITED, ...env });
  try {
    await work(server);
  } finally {
    expect(await server.stop()).toBe(0);
  }
  return server.output();
}

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, text: await response.text(), type: response.headers.get("content-type") };
};

describe("readiness and migrations", () => {
  it("is alive but not ready on an unmigrated database with MIGRATE_ON_START=false, and ready after npm run migrate", async () => {
    const database = await createTestDatabase();
    try {
      await withServer(database, { MIGRATE_ON_START: "false" }, async (server) => {
        const origin = new URL(server.url).origin;
        expect((await get(`${origin}/healthz`)).status).toBe(200);
        expect(await get(`${origin}/readyz`)).toMatchObject({ status: 503, text: '{"status":"unavailable"}' });

        const migrate = spawnSync(TSX, [path.join(ROOT, "src", "db", "migrateCommand.ts")], {
          cwd,
          env: { PATH: process.env.PATH ?? "", DATABASE_URL: database.url },
          encoding: "utf8",
          timeout: 60_000,
        });
        for (const migration of loadMigrations(database.provider)) expect(migrate.stdout).toContain(`applied ${migration.name}\n`);
        expect(migrate.stdout).toContain("database is at the current schema");
        expect(migrate.status).toBe(0);

        expect(await get(`${origin}/readyz`)).toMatchObject({ status: 200, text: '{"status":"ready"}' });
        // And it serves: the key check no longer fails on missing tables.
        const owner = await signUpUser(server.url);
        const device = await addDevice(server.url, owner.token);
        expectData(await gql(server.url, HEARTBEAT, { k: device.apiKey }));
      });
    } finally {
      await database.drop();
    }
  });
});

describe("request logs and metrics", () => {
  it("logs one JSON line per request with id, operation, caller, duration and outcome, and never a secret", async () => {
    const database = await createTestDatabase();
    let owner!: Awaited<ReturnType<typeof signUpUser>>;
    let apiKey = "";
    try {
      const output = await withServer(database, { LOG_LEVEL: "info" }, async (server) => {
        owner = await signUpUser(server.url);
        const device = await addDevice(server.url, owner.token);
        apiKey = device.apiKey;
        const beat = await fetch(server.url, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": "beat-0001" },
          // The key inline in the document as well as in a variable: neither may be logged.
          body: JSON.stringify({ query: `mutation Beat { heartbeat(apiKey: "${apiKey}") { deviceId } }` }),
        });
        expect(beat.status).toBe(200);
        expect(beat.headers.get("x-request-id")).toBe("beat-0001");
        expectError(await gql(server.url, HEARTBEAT, { k: apiKey.slice(0, -1) + (apiKey.endsWith("0") ? "1" : "0") }), "INVALID_API_KEY", 403);
        expectError(await gql(server.url, `mutation($e: EmailAddress!, $p: String!) { logIn(email: $e, password: $p) { token } }`, { e: owner.email, p: "a wrong password, long enough" }), "UNAUTHENTICATED", 401);
        expectData(await gql(server.url, `{ me { id } }`, {}, { token: owner.token }));
      });
      const lines = output
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const requests = lines.filter((line) => line.msg === "request");
      expect(requests.find((line) => line.reqId === "beat-0001")).toMatchObject({
        operation: "heartbeat",
        operationName: "Beat",
        caller: "device",
        outcome: "OK",
        status: 200,
      });
      expect(requests.find((line) => line.outcome === "INVALID_API_KEY")).toMatchObject({ caller: "device", status: 403 });
      expect(requests.find((line) => line.operation === "logIn")).toMatchObject({ caller: "anonymous", outcome: "UNAUTHENTICATED", status: 401 });
      expect(requests.find((line) => line.operation === "me")).toMatchObject({ caller: "person", outcome: "OK" });
      for (const line of requests) {
        expect(typeof line.durationMs).toBe("number");
        expect(line.reqId).toEqual(expect.any(String));
      }
      for (const secret of [apiKey, apiKey.slice(3, 30), PASSWORD, "a wrong password", owner.token, owner.token.split(".")[2]!]) {
        expect(output.includes(secret), `log output contains ${secret.slice(0, 12)}…`).toBe(false);
      }
    } finally {
      await database.drop();
    }
  });

  it("serves Prometheus metrics: requests by operation and outcome, latency, readings accepted, key verifications", async () => {
    const database = await createTestDatabase();
    try {
      await withServer(database, {}, async (server) => {
        const owner = await signUpUser(server.url);
        const device = await addDevice(server.url, owner.token);
        expectData(await gql(server.url, REPORT, { k: device.apiKey, r: [{ metric: "t", value: 1 }, { metric: "t", value: 2 }], b: "m-1" }));
        expectData(await gql(server.url, REPORT, { k: device.apiKey, r: [{ metric: "t", value: 1 }, { metric: "t", value: 2 }], b: "m-1" }));
        expectError(await gql(server.url, HEARTBEAT, { k: "fq_not-a-key" }), "INVALID_API_KEY", 403);
        expectError(await gql(server.url, HEARTBEAT, { k: "" }), "API_KEY_REQUIRED", 400);
        const metrics = await get(`${new URL(server.url).origin}/metrics`);
        expect(metrics.status).toBe(200);
        expect(metrics.type).toMatch(/^text\/plain/);
        const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(metrics.text)?.[1]);
        expect(value('fleetql_graphql_requests_total{operation="reportReadings",outcome="OK",service="fleetql"}')).toBe(2);
        expect(value('fleetql_graphql_requests_total{operation="heartbeat",outcome="INVALID_API_KEY",service="fleetql"}')).toBe(1);
        expect(value('fleetql_graphql_requests_total{operation="addDevice",outcome="OK",service="fleetql"}')).toBe(1);
        expect(value('fleetql_readings_accepted_total{service="fleetql"}')).toBe(2);
        expect(value('fleetql_api_key_verifications_total{result="valid",service="fleetql"}')).toBe(2);
        expect(value('fleetql_api_key_verifications_total{result="invalid",service="fleetql"}')).toBe(1);
        expect(value('fleetql_api_key_verifications_total{result="missing",service="fleetql"}')).toBe(1);
        expect(value('fleetql_graphql_request_duration_seconds_count{service="fleetql",operation="reportReadings"}')).toBe(2);
        expect(metrics.text).toContain("fleetql_process_resident_memory_bytes");
      });
    } finally {
      await database.drop();
    }
  });
});

describe("graceful shutdown", () => {
  it("acknowledges exactly the reading batches it stored when SIGTERM arrives mid-load", async () => {
    const database = await createTestDatabase();
    try {
      const server = await startServerProcess(cwd, { DATABASE_URL: database.url, JWT_SECRET, ...UNLIMITED });
      const owner = await signUpUser(server.url);
      const device = await addDevice(server.url, owner.token);
      const readings = Array.from({ length: 500 }, (_, i) => ({ metric: "load", value: i }));
      let stopping: Promise<number | null> | null = null;
      const sends = Array.from({ length: 40 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 5));
        try {
          const answer = await gql(server.url, REPORT, { k: device.apiKey, r: readings, b: `shutdown-${i}` });
          stopping ??= server.stop();
          return answer.status === 200 ? (answer.body.data?.reportReadings.accepted as number) : 0;
        } catch {
          return 0; // refused or cut off: not acknowledged
        }
      });
      const acknowledged = (await Promise.all(sends)).reduce((sum, n) => sum + n, 0);
      const code = await (stopping ?? server.stop());
      expect(code, server.output()).toBe(0);
      expect(acknowledged).toBeGreaterThan(0);
      expect(await countReadings(database.url, device.id)).toBe(acknowledged);
    } finally {
      await database.drop();
    }
  });
});
