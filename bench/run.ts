// npm run bench [-- --soak] [-- --quick]: FleetQL's device and owner paths against the
// baselines that bound them, measured in one run with autocannon on loopback. Servers run
// pinned to CPU 0 and the load generator to CPU 1 where the machine has two cores.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { mintApiKey } from "../src/auth/apiKeys.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FLEET_SIZE = 1000;
const PASSWORD = "benchmark password 0123456789";

export interface BenchOptions {
  warmupSeconds: number;
  roundSeconds: number;
  rounds: number;
  connections: number;
  soakSeconds: number;
  resultsFile: string | null;
  log: (line: string) => void;
}

export interface ScenarioResult {
  name: string;
  unit: "req/s" | "readings/s" | "rows/s";
  rate: number;
  requestsPerSecond: number;
  p50: number | null;
  p99: number | null;
  baseline?: string;
  ratio?: number;
  /** Requests whose status or body was not the expected one. */
  unexpected: number;
}

export interface BenchReport {
  scenarios: ScenarioResult[];
  rss: { steadyMb: number; soak?: { startMb: number; endMb: number; maxMb: number; seconds: number } };
  pinned: boolean;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const canPin = os.cpus().length >= 2 && spawnSync("taskset", ["-V"]).status === 0;

interface Target {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function startTarget(args: string[], env: Record<string, string> = {}): Promise<Target> {
  const command = canPin ? "taskset" : process.execPath;
  const argv = canPin ? ["-c", "0", process.execPath, ...args] : args;
  const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /(?:listening|FleetQL ready at) (\S+)/.exec(output);
      if (!match) return;
      child.stdout!.off("data", onData);
      child.stdout!.resume();
      resolve({
        url: match[1]!,
        child,
        stop: () =>
          new Promise((done) => {
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk) => (output += chunk));
    child.once("exit", (code) => reject(new Error(`target ${args.join(" ")} exited with ${code}:\n${output}`)));
  });
}

function rssMb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  } catch {
    return process.memoryUsage().rss / 1024 / 1024;
  }
}

interface Load {
  url: string;
  body: string;
  /** A fresh body per request, where repeating one would not be what a device does. */
  nextBody?: () => string;
  headers?: Record<string, string>;
  expectStatus: number;
  /** What the one request checked by hand before the timed rounds must answer. */
  expectBody: RegExp;
}

async function fire(load: Load, seconds: number, connections: number) {
  return autocannon({
    url: load.url,
    method: "POST",
    headers: { "content-type": "application/json", ...load.headers },
    body: load.body,
    ...(load.nextBody && { requests: [{ setupRequest: (request: object) => ({ ...request, body: load.nextBody!() }) }] }),
    connections,
    duration: seconds,
  });
}

async function measure(name: string, load: Load, options: BenchOptions, pid?: number, rss?: number[]) {
  // One request by hand proves the scenario answers what it should before it is timed.
  const check = await fetch(load.url, { method: "POST", headers: { "content-type": "application/json", ...load.headers }, body: load.body });
  const checkBody = await check.text();
  if (check.status !== load.expectStatus || !load.expectBody.test(checkBody)) {
    throw new Error(`${name}: expected HTTP ${load.expectStatus} and ${load.expectBody}, got ${check.status}: ${checkBody.slice(0, 300)}`);
  }
  if (options.warmupSeconds > 0) await fire(load, options.warmupSeconds, options.connections);
  const rounds = [];
  for (let round = 0; round < options.rounds; round++) {
    const sampler = pid && rss ? setInterval(() => rss.push(rssMb(pid)), 250) : null;
    const result = await fire(load, options.roundSeconds, options.connections);
    if (sampler) clearInterval(sampler);
    // Answers with exactly the expected status; autocannon's `errors` already counts timeouts.
    const stats = (result.statusCodeStats ?? {}) as Record<string, { count: number } | undefined>;
    const expected = stats[String(load.expectStatus)]?.count ?? 0;
    rounds.push({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, unexpected: result.requests.total - expected + result.errors });
    options.log(`  ${name} round ${round + 1}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  }
  return {
    requestsPerSecond: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    unexpected: rounds.reduce((sum, r) => sum + Math.max(0, r.unexpected), 0),
  };
}

async function gqlCall(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`setup call failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

function sqliteBaseline(seconds: number): number {
  const args = ["--import", "tsx", "bench/targets/sqliteInsert.ts", String(seconds)];
  const run = canPin ? spawnSync("taskset", ["-c", "0", process.execPath, ...args], { cwd: ROOT, encoding: "utf8" }) : spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`sqlite baseline failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!).rowsPerSecond;
}

const heartbeatBody = (apiKey: string) => JSON.stringify({ query: "mutation($k: String!) { heartbeat(apiKey: $k) { deviceId serverTime } }", variables: { k: apiKey } });

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const { log } = options;
  if (canPin) spawnSync("taskset", ["-cp", "1", String(process.pid)]);
  log(canPin ? "servers pinned to CPU 0, load to CPU 1" : "not pinned (needs taskset and two cores)");
  const scenarios: ScenarioResult[] = [];

  log("1. raw node:http");
  const raw = await startTarget(["--import", "tsx", "bench/targets/rawHttp.ts"]);
  const rawResult = await measure("raw node:http", { url: raw.url, body: heartbeatBody("fq_x"), expectStatus: 200, expectBody: /"heartbeat"/ }, options);
  await raw.stop();
  scenarios.push({ name: "raw node:http, fixed JSON", unit: "req/s", rate: rawResult.requestsPerSecond, ...rawResult });

  log("2. bare Apollo Server (startStandaloneServer)");
  const apollo = await startTarget(["--import", "tsx", "bench/targets/bareApollo.ts"]);
  const apolloResult = await measure("bare Apollo", { url: apollo.url, body: heartbeatBody("fq_x"), expectStatus: 200, expectBody: /"heartbeat":\{"deviceId"/ }, options);
  await apollo.stop();
  scenarios.push({ name: "bare Apollo standalone, constant mutation", unit: "req/s", rate: apolloResult.requestsPerSecond, ...apolloResult });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-bench-"));
  // As `npm start` runs FleetQL: built into dist/, then on plain node.
  const fleet = await startTarget(["scripts/start.mjs"], {
    PORT: "0",
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    JWT_SECRET: "benchmark-secret-benchmark-secret-0123456789",
    DATABASE_URL: `file:${path.join(dir, "fleetql.db")}`,
    DEVICE_RATE_PER_SECOND: "1000000000",
    DEVICE_RATE_BURST: "1000000000",
    REFUSED_KEY_RATE_PER_MINUTE: "1000000000",
    // One instance, as the targets are stated; and no counts left in a Redis the caller shares.
    REDIS_URL: "",
  });
  const pid = fleet.child.pid!;
  const rss: number[] = [];
  let soak: BenchReport["rss"]["soak"];
  try {
    const { signUp } = await gqlCall(fleet.url, `mutation($e: EmailAddress!, $p: String!) { signUp(email: $e, password: $p) { token } }`, { e: "bench@example.com", p: PASSWORD });
    const token: string = signUp.token;
    const added = await gqlCall(fleet.url, `mutation { addDevice(name: "bench") { apiKey device { id } } }`, {}, token);
    const { apiKey } = added.addDevice;
    const deviceId: string = added.addDevice.device.id;
    const fleetKeys: string[] = [];
    for (let i = 0; i < FLEET_SIZE; i++) {
      const device = await gqlCall(fleet.url, `mutation($n: String!) { addDevice(name: $n) { apiKey } }`, { n: `fleet-${i}` }, token);
      fleetKeys.push(device.addDevice.apiKey);
    }
    // Each report carries the next 500 seconds of a series, as a device's would.
    let seriesClock = Date.UTC(2020, 0, 1);
    const nextReport = () =>
      JSON.stringify({
        query: "mutation($k: String!, $r: [ReadingInput!]!) { reportReadings(apiKey: $k, readings: $r) { accepted duplicate } }",
        variables: {
          k: apiKey,
          r: Array.from({ length: 500 }, (_, i) => ({ metric: ["pressure", "temperature", "wind"][i % 3], value: i / 10, recordedAt: new Date((seriesClock += 1000)).toISOString() })),
        },
      });
    const reportBody = nextReport();

    log("3. FleetQL heartbeat");
    // A fleet, not one device: keys spread over many cache entries, activity over many rows.
    let next = 0;
    const fleetBeat = () => heartbeatBody(fleetKeys[next++ % fleetKeys.length]!);
    const beat = await measure("heartbeat", { url: fleet.url, body: fleetBeat(), nextBody: fleetBeat, expectStatus: 200, expectBody: /"heartbeat":\{"deviceId"/ }, options, pid, rss);
    scenarios.push({ name: "FleetQL heartbeat, valid key", unit: "req/s", rate: beat.requestsPerSecond, ...beat });

    log("4. FleetQL reportReadings, 500 a call");
    const report = await measure("reportReadings", { url: fleet.url, body: reportBody, nextBody: nextReport, expectStatus: 200, expectBody: /"accepted":500/ }, options, pid, rss);
    scenarios.push({ name: "FleetQL reportReadings, 500 readings a call", unit: "readings/s", rate: report.requestsPerSecond * 500, ...report });

    log("6. FleetQL device.readings(first: 100)");
    const readBody = JSON.stringify({
      query: "query($id: ID!) { device(id: $id) { readings(first: 100) { edges { cursor node { id metric value recordedAt } } pageInfo { hasNextPage endCursor } } } }",
      variables: { id: deviceId },
    });
    const read = await measure("device.readings", { url: fleet.url, body: readBody, headers: { authorization: `Bearer ${token}` }, expectStatus: 200, expectBody: /"hasNextPage":true/ }, options, pid, rss);
    scenarios.push({ name: "FleetQL device.readings(first: 100), JWT", unit: "req/s", rate: read.requestsPerSecond, ...read });

    log("7. FleetQL refusing an invalid key");
    const wrongKey = apiKey.slice(0, 10) + (apiKey[10] === "A" ? "B" : "A") + apiKey.slice(11);
    const refuse = await measure("invalid key", { url: fleet.url, body: heartbeatBody(wrongKey), expectStatus: 403, expectBody: /INVALID_API_KEY/ }, options, pid, rss);
    scenarios.push({ name: "FleetQL refusing an invalid key (403)", unit: "req/s", rate: refuse.requestsPerSecond, ...refuse });

    log("8. FleetQL refusing a well-formed unknown key (looked up once, then remembered as unknown)");
    const unknownKey = mintApiKey().key;
    const unknown = await measure("unknown key", { url: fleet.url, body: heartbeatBody(unknownKey), expectStatus: 403, expectBody: /INVALID_API_KEY/ }, options, pid, rss);
    scenarios.push({ name: "FleetQL refusing a well-formed unknown key (403)", unit: "req/s", rate: unknown.requestsPerSecond, ...unknown });

    if (options.soakSeconds > 0) {
      log(`soak: heartbeats and reports for ${options.soakSeconds} s`);
      const samples: number[] = [];
      const sampler = setInterval(() => samples.push(rssMb(pid)), 1000);
      await Promise.all([
        fire({ url: fleet.url, body: fleetBeat(), nextBody: fleetBeat, expectStatus: 200, expectBody: /heartbeat/ }, options.soakSeconds, Math.max(1, options.connections - 2)),
        fire({ url: fleet.url, body: reportBody, nextBody: nextReport, expectStatus: 200, expectBody: /accepted/ }, options.soakSeconds, 2),
      ]);
      clearInterval(sampler);
      const window = Math.max(1, Math.floor(samples.length / 10));
      soak = {
        startMb: median(samples.slice(0, window)),
        endMb: median(samples.slice(-window)),
        maxMb: Math.max(...samples),
        seconds: options.soakSeconds,
      };
    }
  } finally {
    await fleet.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  log("5. raw better-sqlite3, 500 rows a transaction");
  const storageRates = Array.from({ length: options.rounds }, () => sqliteBaseline(options.roundSeconds));
  const storage = median(storageRates);
  scenarios.splice(4, 0, { name: "raw better-sqlite3 insert, 500 rows a transaction", unit: "rows/s", rate: storage, requestsPerSecond: storage / 500, p50: null, p99: null, unexpected: 0 });

  const byName = (prefix: string) => scenarios.find((s) => s.name.startsWith(prefix))!;
  const ratio = (name: string, baseline: string) => {
    const scenario = byName(name);
    scenario.baseline = baseline;
    scenario.ratio = scenario.rate / byName(baseline).rate;
  };
  ratio("FleetQL heartbeat", "bare Apollo");
  ratio("FleetQL reportReadings", "raw better-sqlite3");
  ratio("FleetQL device.readings", "bare Apollo");
  ratio("FleetQL refusing an invalid", "bare Apollo");
  ratio("FleetQL refusing a well-formed", "bare Apollo");

  return { scenarios, rss: { steadyMb: rss.length ? median(rss) : 0, ...(soak && { soak }) }, pinned: canPin };
}

export function formatTable(report: BenchReport): string {
  const raw = report.scenarios[0]!.rate;
  const lines = [
    "| # | scenario | rate | p50 ms | p99 ms | ratio to its bound | ratio to raw node:http |",
    "|---|---|---|---|---|---|---|",
  ];
  report.scenarios.forEach((s, i) => {
    // Batches also show as the requests they took, where a request carries many rows.
    const perRequest = s.unit === "req/s" || s.p50 === null ? "" : ` (${Math.round(s.requestsPerSecond).toLocaleString("en-US")} req/s)`;
    const rate = `${Math.round(s.rate).toLocaleString("en-US")} ${s.unit}${perRequest}`;
    const bound = s.ratio === undefined ? "" : `${s.ratio.toFixed(2)} of ${s.baseline}`;
    const toRaw = s.unit === "req/s" && i > 0 ? (s.rate / raw).toFixed(2) : "";
    lines.push(`| ${i + 1} | ${s.name} | ${rate} | ${s.p50 ?? ""} | ${s.p99 ?? ""} | ${bound} | ${toRaw} |`);
  });
  return lines.join("\n");
}

/** FleetQL's performance targets, judged from this run's numbers. */
export function targetsSection(report: BenchReport): string {
  const find = (prefix: string) => report.scenarios.find((s) => s.name.startsWith(prefix))!;
  const beat = find("FleetQL heartbeat");
  const ingest = find("FleetQL reportReadings");
  const verdict = (ok: boolean) => (ok ? "met" : "**not met**");
  const soak = report.rss.soak;
  const rows = [
    ["heartbeat ≥ 80 % of bare standalone Apollo", `${verdict(beat.ratio! >= 0.8)}: ${beat.ratio!.toFixed(2)}`],
    ["reportReadings ≥ 100,000 readings/s on SQLite", `${verdict(ingest.rate >= 100_000)}: ${Math.round(ingest.rate).toLocaleString("en-US")} readings/s`],
    ["reportReadings ≥ 30 % of raw better-sqlite3", `${verdict(ingest.ratio! >= 0.3)}: ${ingest.ratio!.toFixed(2)}`],
    ["steady RSS under 250 MB", `${verdict(report.rss.steadyMb < 250)}: ${report.rss.steadyMb.toFixed(0)} MB`],
  ];
  if (soak) rows.push(["no RSS growth over the soak", `${verdict(soak.endMb <= soak.startMb * 1.1)}: ${soak.startMb.toFixed(0)} MB → ${soak.endMb.toFixed(0)} MB (peak ${soak.maxMb.toFixed(0)} MB)`]);
  return ["| FleetQL target | this run |", "|---|---|", ...rows.map(([target, result]) => `| ${target} | ${result} |`)].join("\n");
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const quick = args.has("--quick");
  const options: BenchOptions = {
    warmupSeconds: quick ? 0 : 3,
    roundSeconds: quick ? 1 : 5,
    rounds: quick ? 1 : 3,
    connections: 10,
    soakSeconds: args.has("--soak") ? 300 : 0,
    resultsFile: quick ? null : path.join(ROOT, "bench", "results.md"),
    log: (line) => console.error(line),
  };
  const report = await runBench(options);
  const table = formatTable(report);
  const soak = report.rss.soak;
  const memory = [
    `Steady RSS of the FleetQL process under load: ${report.rss.steadyMb.toFixed(0)} MB (median of samples every 250 ms during the timed rounds).`,
    soak
      ? `Soak, ${soak.seconds} s of heartbeats and reports at once: RSS ${soak.startMb.toFixed(0)} MB in the first tenth, ${soak.endMb.toFixed(0)} MB in the last tenth, ${soak.maxMb.toFixed(0)} MB at most.`
      : "Soak not run this time (`npm run bench -- --soak`).",
  ].join("\n");
  console.log(`${table}\n\n${memory}`);
  const unexpected = report.scenarios.reduce((sum, s) => sum + s.unexpected, 0);
  if (unexpected > 0) console.log(`WARNING: ${unexpected} answers were not the expected status`);
  if (options.resultsFile) {
    const text = [
      "# FleetQL benchmark results",
      "",
      `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench${soak ? " -- --soak" : ""}\` on ${machine()}.`,
      `autocannon, ${options.connections} connections, on loopback; ${report.pinned ? "servers pinned to CPU 0 and the load generator to CPU 1 (taskset)" : "not pinned"}; ` +
        `${options.warmupSeconds} s warm-up, then the median of ${options.rounds} rounds of ${options.roundSeconds} s per scenario. ` +
        "FleetQL runs with NODE_ENV=production on SQLite (WAL) with the rate limits lifted.",
      "",
      table,
      "",
      memory,
      "",
      targetsSection(report),
      "",
      fs.readFileSync(path.join(ROOT, "bench", "analysis.md"), "utf8").trim(),
      "",
    ].join("\n");
    fs.writeFileSync(options.resultsFile, text);
    console.error(`wrote ${path.relative(ROOT, options.resultsFile)}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
