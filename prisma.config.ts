// Prisma CLI configuration. The JS engine with a driver adapter keeps every Prisma
// command FleetQL uses (generate, migrate diff) offline: no Rust engine download.
import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// The database `npm start` uses, unless DATABASE_URL names another SQLite file.
const databaseUrl = process.env.DATABASE_URL?.startsWith("file:") ? process.env.DATABASE_URL : "file:./data/fleetql.db";
const databaseFile = path.resolve(databaseUrl.slice("file:".length).split("?")[0]!);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "sqlite", "schema.prisma"),
  migrations: { path: path.join("prisma", "sqlite", "migrations") },
  async adapter() {
    // `migrate diff` opens the adapter even when it only reads schema files.
    fs.mkdirSync(path.dirname(databaseFile), { recursive: true });
    return new PrismaBetterSQLite3({ url: `file:${databaseFile}` });
  },
});
