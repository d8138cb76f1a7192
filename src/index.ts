// The entry point: the only module with side effects. Reads the configuration, opens and
// migrates the database, listens, and shuts down gracefully on SIGTERM/SIGINT.
import path from "node:path";
import { ConfigError, loadConfig } from "./config.js";
import { createDb } from "./db/index.js";
import { sqliteFilePath } from "./db/sqlite.js";
import { loadOrCreateJwtSecret } from "./auth/jwtSecret.js";
import { createLogger } from "./logger.js";
import { createServer } from "./server.js";

function dataDirectory(databaseUrl: string): string {
  return databaseUrl.startsWith("file:") ? path.dirname(sqliteFilePath(databaseUrl)) : path.resolve("data");
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`FleetQL cannot start: ${error.problems.join("; ")}`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const jwtSecret = config.jwtSecret ?? loadOrCreateJwtSecret(dataDirectory(config.databaseUrl));
  const db = await createDb(config.databaseUrl, {
    migrate: config.migrateOnStart,
    poolSize: config.databasePoolSize,
    onMigrationWait: (message) => logger.warn(message),
  });
  if (db.appliedMigrations.length > 0) logger.info({ migrations: db.appliedMigrations }, "database migrated");
  const server = await createServer({
    db,
    jwt: { secret: jwtSecret, ttlSeconds: config.jwtTtlSeconds },
    production: config.nodeEnv === "production",
    logger,
    activityFlushMs: config.activityFlushMs,
    rateLimits: config.rateLimits,
    trustProxyHops: config.trustProxyHops,
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
  });
  const url = await server.listen(config.port, config.host);
  logger.info({ url }, "FleetQL ready");
  console.log(`FleetQL ready at ${url}`);

  let exiting = false;
  const shutdown = (signal: string) => {
    if (exiting) return;
    exiting = true;
    logger.info({ signal }, "shutting down");
    // A ref'd timer keeps the process alive until stop() has written everything (without
    // it Node may exit as soon as the listening socket closes), and bounds the wait.
    const deadline = setTimeout(() => {
      logger.error("graceful shutdown took longer than 30 s; exiting");
      process.exit(1);
    }, 30_000);
    server.stop().then(
      () => {
        clearTimeout(deadline);
        process.exit(0);
      },
      (error) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error) => {
  console.error(`FleetQL cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
