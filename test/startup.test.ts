// `npm start` with no configuration: creates the data directory and database, keeps its
// JWT secret across restarts, and shuts down gracefully without losing coalesced state.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { addDevice, expectData, gql, HEARTBEAT, signUpUser } from "./helpers/client.js";
import { readDeviceRow } from "./helpers/db.js";
import { START_SCRIPT, startServerProcess } from "./helpers/process.js";

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-start-"));
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe("starting FleetQL with no configuration", () => {
  it("creates its database, keeps its JWT secret, and loses nothing on SIGTERM", async () => {
    const first = await startServerProcess(cwd);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(fs.existsSync(path.join(cwd, "data", "fleetql.db"))).toBe(true);
    const secretFile = path.join(cwd, "data", "jwt-secret");
    expect(fs.statSync(secretFile).mode & 0o077).toBe(0);

    const owner = await signUpUser(first.url);
    const device = await addDevice(first.url, owner.token);
    const beat = expectData(await gql(first.url, HEARTBEAT, { k: device.apiKey, s: { on: true } }));
    expect(await first.stop()).toBe(0);

    // The coalesced heartbeat reached the database on the way down.
    const stored = await readDeviceRow(`file:${path.join(cwd, "data", "fleetql.db")}`, device.id);
    expect(stored.lastSeenAt).toBe(beat.heartbeat.serverTime);

    const second = await startServerProcess(cwd);
    try {
      const me = expectData(await gql(second.url, `{ me { email devices { edges { node { status } } } } }`, {}, { token: owner.token }));
      expect(me.me.email).toBe(owner.email);
      expect(me.me.devices.edges[0].node.status).toEqual({ on: true });
      expectData(await gql(second.url, HEARTBEAT, { k: device.apiKey }));
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it("refuses to start on invalid configuration, listing every problem in one line", () => {
    const result = spawnSync(process.execPath, [START_SCRIPT], {
      cwd,
      env: { PATH: process.env.PATH ?? "", PORT: "eighty", JWT_TTL: "forever" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^FleetQL cannot start: PORT .*; JWT_TTL /);
  });

  it("refuses to start in production without JWT_SECRET", () => {
    const result = spawnSync(process.execPath, [START_SCRIPT], {
      cwd,
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe("FleetQL cannot start: JWT_SECRET is required when NODE_ENV=production (at least 32 bytes)");
  });
});
