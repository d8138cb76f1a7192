// Every test file gets its own FleetQL server on port 0 with its own database (see db.ts).
import { createDb } from "../../src/db/index.js";
import { createLogger } from "../../src/logger.js";
import { createServer, type FleetServer } from "../../src/server.js";
import type { JwtSettings } from "../../src/auth/jwt.js";
import type { Clock } from "../../src/services.js";
import type { RateLimits } from "../../src/config.js";
import { createTestDatabase, type TestDatabase } from "./db.js";

// Test files sign up many owners from one address; rateLimits.test.ts tests the real limits.
const NO_LIMIT = { perSecond: 1e6, burst: 1e6 };
const UNLIMITED: RateLimits = { device: NO_LIMIT, auth: NO_LIMIT, refusedKeys: NO_LIMIT };

export const TEST_JWT: JwtSettings = { secret: "fleetql-test-secret-that-is-long-enough-0123456789", ttlSeconds: 3600 };

export interface TestServer {
  url: string;
  origin: string;
  database: TestDatabase;
  databaseUrl: string;
  server: FleetServer;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** A database shared with other servers, which the caller drops; by default one of its own. */
  database?: TestDatabase;
  clock?: Clock;
  activityFlushMs?: number;
  production?: boolean;
  rateLimits?: RateLimits;
  redisUrl?: string;
  redisPrefix?: string;
  keyEventPollMs?: number;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const db = await createDb(database.url, { migrate: true, poolSize: 4 });
  const server = await createServer({
    db,
    jwt: TEST_JWT,
    production: options.production ?? false,
    logger: createLogger(process.env.FLEETQL_TEST_LOG === "1" ? "debug" : "silent"),
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
    database,
    databaseUrl: database.url,
    server,
    async stop() {
      await server.stop();
      if (!options.database) await database.drop();
    },
  };
}
