// Prisma CLI configuration. The JS engine with a driver adapter keeps every Prisma command
// FleetQL uses (generate, migrate diff, migrate status) offline: no Rust engine download.
// DATABASE_URL picks the database as it does for the server: a postgresql:// URL means the
// PostgreSQL schema and migrations; anything else the SQLite ones.
import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { isPostgresUrl, parsePostgresUrl } from "./src/db/postgresUrl.js";
import { SQLITE_TIMESTAMP_FORMAT } from "./src/db/sqliteTimestamps.js";

const url = process.env.DATABASE_URL ?? "";
const postgres = isPostgresUrl(url);

// The database `npm start` uses, unless DATABASE_URL names another SQLite file.
const sqliteUrl = url.startsWith("file:") ? url : "file:./data/fleetql.db";
const sqliteFile = path.resolve(sqliteUrl.slice("file:".length).split("?")[0]!);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", postgres ? "postgresql" : "sqlite", "schema.prisma"),
  migrations: { path: path.join("prisma", postgres ? "postgresql" : "sqlite", "migrations") },
  async adapter() {
    if (postgres) {
      const { connectionString, schema } = parsePostgresUrl(url);
      return new PrismaPg({ connectionString }, { schema });
    }
    // `migrate diff` opens the adapter even when it only reads schema files.
    fs.mkdirSync(path.dirname(sqliteFile), { recursive: true });
    return new PrismaBetterSQLite3({ url: `file:${sqliteFile}` }, { timestampFormat: SQLITE_TIMESTAMP_FORMAT });
  },
});
