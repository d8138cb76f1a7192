// The replay tool plays a CSV into a running server as a device, and resends after a
// dropped connection without storing anything twice.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { addDevice, expectData, gql, PASSWORD, signUpUser } from "./helpers/client.js";
import { countReadings } from "./helpers/db.js";
import { ROOT, TSX } from "./helpers/process.js";
import { parseCsvTime, readingsFromCsv } from "../src/replay/csvReadings.js";
import { replay } from "../src/replay/replay.js";

let t: TestServer;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-replay-"));
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A year-like hourly series: 1,200 rows, two numeric columns, one text column, a gap. */
function writeSeries(name: string, rows = 1200): string {
  const lines = ["station,time,temp_c,humidity"];
  for (let i = 0; i < rows; i++) {
    const at = new Date(Date.UTC(2020, 0, 1) + i * 3600_000).toISOString().slice(0, 19); // no offset: UTC
    const humidity = i === 7 ? "" : String(50 + (i % 30));
    lines.push(`KSEA,${at},${(10 + Math.sin(i / 24) * 5).toFixed(2)},${humidity}`);
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

function runReplay(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(TSX, [path.join(ROOT, "src/replay/replayCommand.ts"), ...args], { env: { PATH: process.env.PATH ?? "" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("reading a CSV", () => {
  it("takes the first date-time column as recordedAt, numeric columns as metrics, and skips text", () => {
    const csv = readingsFromCsv(fs.readFileSync(writeSeries("shape.csv", 10), "utf8"));
    expect(csv).toMatchObject({ timeColumn: "time", metrics: ["temp_c", "humidity"], skippedColumns: ["station"], rows: 10 });
    expect(csv.readings).toHaveLength(19); // one empty humidity cell
    expect(csv.readings[0]).toEqual({ metric: "temp_c", value: 10, recordedAt: "2020-01-01T00:00:00.000Z" });
  });

  it("reads plain dates and times without an offset as UTC, and honours offsets", () => {
    expect(parseCsvTime("2010-01-01")?.toISOString()).toBe("2010-01-01T00:00:00.000Z");
    expect(parseCsvTime("2010-01-01 01:30")?.toISOString()).toBe("2010-01-01T01:30:00.000Z");
    expect(parseCsvTime("2010-01-01T01:00:00+02:00")?.toISOString()).toBe("2009-12-31T23:00:00.000Z");
    expect(parseCsvTime("2010-01-01T01:00:00.5Z")?.toISOString()).toBe("2010-01-01T01:00:00.500Z");
    expect(parseCsvTime("2021-02-30")).toBeNull();
    expect(parseCsvTime("yesterday")).toBeNull();
  });

  it("counts only decimal numbers as numeric: hexadecimal and Infinity make a column text", () => {
    const csv = readingsFromCsv("time,code,level,temp\n2020-01-01T00:00:00Z,0x1A,Infinity,-1.5e1\n2020-01-01T01:00:00Z,12,3,.5\n");
    expect(csv).toMatchObject({ metrics: ["temp"], skippedColumns: ["code", "level"] });
    expect(csv.readings.map((r) => r.value)).toEqual([-15, 0.5]);
  });

  it("refuses a CSV without a date column", () => {
    expect(() => readingsFromCsv("a,b\n1,2\n")).toThrow(/date/);
  });
});

describe("npm run replay", () => {
  it("signs up, adds a device named after the file, and stores every reading", async () => {
    const file = writeSeries("weather-station.csv");
    const email = `replay-${Date.now()}@example.com`;
    const run = await runReplay(["--url", t.url, "--file", file, "--email", email, "--password", PASSWORD]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split("\n").at(-1)).toBe("accepted 2399 readings");

    const logIn = expectData(await gql(t.url, `mutation($e: EmailAddress!, $p: String!) { logIn(email: $e, password: $p) { token } }`, { e: email, p: PASSWORD }));
    const devices = expectData(await gql(t.url, `{ devices { edges { node { id name readings(metric: "humidity", first: 1) { edges { node { value recordedAt } } } } } } }`, {}, { token: logIn.logIn.token }));
    const device = devices.devices.edges[0].node;
    expect(device.name).toBe("weather-station");
    expect(device.readings.edges[0].node).toEqual({ value: 50 + (1199 % 30), recordedAt: "2020-02-19T23:00:00.000Z" });
    expect(await countReadings(t.databaseUrl, device.id)).toBe(2399);

    // The same owner again: logs in, and says clearly why it cannot reuse the device name.
    const again = await runReplay(["--url", t.url, "--file", file, "--email", email, "--password", PASSWORD]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already have a device named "weather-station".*--api-key/);
  });

  it("uses a given API key, and a rerun of the same file stores nothing twice", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const file = writeSeries("rerun.csv", 300);
    const first = await runReplay(["--url", t.url, "--file", file, "--api-key", device.apiKey]);
    expect(first.stdout).toMatch(/accepted 599 readings\n$/);
    const second = await runReplay(["--url", t.url, "--file", file, "--api-key", device.apiKey]);
    expect(second.stdout).toMatch(/2 of 2 batches were already stored/);
    expect(await countReadings(t.databaseUrl, device.id)).toBe(599);
  });

  it("after rows were appended to the file, stores again only the readings of the earlier run's last, partial batch", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const file = writeSeries("grows.csv", 500); // 999 readings: batches of 500 and 499
    expect((await runReplay(["--url", t.url, "--file", file, "--api-key", device.apiKey])).stdout).toMatch(/accepted 999 readings\n$/);
    writeSeries("grows.csv", 1000); // the same 500 rows, then 500 more: 1,999 readings
    const again = await runReplay(["--url", t.url, "--file", file, "--api-key", device.apiKey]);
    expect(again.stdout).toMatch(/1 of 4 batches were already stored/);
    expect(await countReadings(t.databaseUrl, device.id)).toBe(1999 + 499);
  });

  it("explains bad usage and a refused key, and exits 1", async () => {
    const usage = await runReplay(["--file", "x.csv"]);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/usage: npm run replay/);
    const refused = await runReplay(["--url", t.url, "--file", writeSeries("k.csv", 3), "--api-key", "fq_wrong"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/INVALID_API_KEY/);
  });
});

/**
 * A proxy in front of the test server that forwards every call and, for the first answer,
 * lets the test decide what the client gets instead (nothing, or the answer too late).
 */
async function misbehavingProxy(first: (req: http.IncomingMessage, res: http.ServerResponse, answer: () => void) => Promise<void> | void) {
  let calls = 0;
  const proxy = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const upstream = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) });
    const body = await upstream.text();
    const answer = () => {
      if (!res.destroyed) res.writeHead(upstream.status, { "content-type": "application/json" }).end(body);
    };
    if (calls++ === 0) await first(req, res, answer);
    else answer();
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`,
    close() {
      proxy.closeAllConnections();
      proxy.close();
    },
  };
}

const series = (n: number) => Array.from({ length: n }, (_, i) => ({ metric: "m", value: i, recordedAt: new Date(Date.UTC(2021, 0, 1) + i * 1000).toISOString() }));

describe("resending", () => {
  it("stores a batch once when the connection dropped after the server stored it", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const proxy = await misbehavingProxy((req) => void req.socket.destroy());
    try {
      const logs: string[] = [];
      const result = await replay({ url: proxy.url, apiKey: device.apiKey, readings: series(1200), log: (l) => logs.push(l) });
      expect(result).toEqual({ accepted: 1200, batches: 3, duplicates: 1, retries: 1 });
      expect(logs[0]).toMatch(/batch 0: network error.*same batchId/);
      expect(await countReadings(t.databaseUrl, device.id)).toBe(1200);
    } finally {
      proxy.close();
    }
  });

  it("resends a batch whose answer is too slow, with the same batchId, and stores it once", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const proxy = await misbehavingProxy(async (_req, _res, answer) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      answer();
    });
    try {
      const logs: string[] = [];
      const result = await replay({ url: proxy.url, apiKey: device.apiKey, readings: series(10), timeoutMs: 500, log: (l) => logs.push(l) });
      expect(result).toEqual({ accepted: 10, batches: 1, duplicates: 1, retries: 1 });
      expect(logs[0]).toMatch(/batch 0: network error.*(timeout|aborted)/i);
      expect(await countReadings(t.databaseUrl, device.id)).toBe(10);
    } finally {
      proxy.close();
    }
  });
});
