// npm run migrate: brings the database DATABASE_URL names to the current schema and exits.
import { ConfigError, loadDatabaseConfig } from "../config.js";
import { createDb } from "./index.js";

try {
  const config = loadDatabaseConfig(process.env);
  const db = await createDb(config.databaseUrl, { migrate: true, poolSize: 1 });
  const ready = await db.isReady();
  await db.close();
  for (const name of db.appliedMigrations) console.log(`applied ${name}`);
  console.log(ready ? "database is at the current schema" : "database is not at the current schema");
  process.exit(ready ? 0 : 1);
} catch (error) {
  const message = error instanceof ConfigError ? error.problems.join("; ") : error instanceof Error ? error.message : String(error);
  console.error(`migrate: ${message}`);
  process.exit(1);
}
