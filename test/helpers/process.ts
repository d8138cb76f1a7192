// Runs FleetQL as `npm start` does, as a child process in a directory of its own.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "./db.js";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
/** What `npm start` runs: it builds dist/ where needed, then serves from it. */
export const START_SCRIPT = path.join(ROOT, "scripts", "start.mjs");

export interface RunningServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

export function startServerProcess(cwd: string, env: Record<string, string> = {}): Promise<RunningServer> {
  // As `npm start` runs it: plain node on the bundle, signals straight to the server.
  const child = spawn(process.execPath, [START_SCRIPT], {
    cwd,
    env: { PATH: process.env.PATH ?? "", PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    child.stdout!.on("data", () => {
      const match = /FleetQL ready at (\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1]!,
        child,
        output: () => output,
        stop: () => {
          child.kill("SIGTERM");
          return exited(child);
        },
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

export interface ServerPair {
  a: RunningServer;
  b: RunningServer;
  database: TestDatabase;
  /** Stops both, drops the database and removes their folder. */
  stop(): Promise<void>;
}

/** Two FleetQL processes started together on a fresh database of their own, in one folder. */
export async function startServerPair(env: Record<string, string>): Promise<ServerPair> {
  const database = await createTestDatabase();
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-pair-"));
  const withDatabase = { DATABASE_URL: database.url, ...env };
  const [a, b] = await Promise.all([startServerProcess(cwd, withDatabase), startServerProcess(cwd, withDatabase)]);
  return {
    a,
    b,
    database,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      await database.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
}
