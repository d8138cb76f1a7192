// Every test file gets its own FleetQL server on port 0 with its own SQLite database.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb } from "../../src/db/index.js";
import { createLogger } from "../../src/logger.js";
import { createServer, type FleetServer } from "../../src/server.js";
import type { JwtSettings } from "../../src/auth/jwt.js";
import type { Clock } from "../../src/services.js";
import type { RateLimits } from "../../src/config.js";

// Test files sign up many owners from one address; rateLimits.test.ts tests the real limits.
const NO_LIMIT = { perSecond: 1e6, burst: 1e6 };
const UNLIMITED: RateLimits = { device: NO_LIMIT, auth: NO_LIMIT, refusedKeys: NO_LIMIT };

export const TEST_JWT: JwtSettings = { secret: "fleetql-test-secret-that-is-long-enough-0123456789", ttlSeconds: 3600 };

export interface TestServer {
  url: string;
  origin: string;
  dir: string;
  databaseUrl: string;
  server: FleetServer;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  dir?: string;
  clock?: Clock;
  activityFlushMs?: number;
  production?: boolean;
  rateLimits?: RateLimits;
  redisUrl?: string;
  redisPrefix?: string;
  keyEventPollMs?: number;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-test-"));
  const databaseUrl = `file:${path.join(dir, "fleetql.db")}`;
  const db = await createDb(databaseUrl, { migrate: true });
  const server = await createServer({
    db,
    jwt: TEST_JWT,
    production: options.production ?? false,
    logger: createLogger("silent"),
    activityFlushMs: options.activityFlushMs ?? 1000,
    clock: options.clock,
    rateLimits: options.rateLimits ?? UNLIMITED,
    redisUrl: options.redisUrl,
    redisPrefix: options.redisPrefix,
    keyEventPollMs: options.keyEventPollMs,
  });
  const url = await server.listen(0, "127.0.0.1");
  return {
    url,
    origin: new URL(url).origin,
    dir,
    databaseUrl,
    server,
    async stop() {
      await server.stop();
      if (!options.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
