// Prisma CLI configuration. The JS engine with a driver adapter keeps every Prisma
// command FleetQL uses (generate, migrate diff) offline: no Rust engine download.
import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

const scratchDb = path.join("data", "prisma-cli.db");

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "sqlite", "schema.prisma"),
  migrations: { path: path.join("prisma", "sqlite", "migrations") },
  async adapter() {
    fs.mkdirSync(path.dirname(scratchDb), { recursive: true });
    return new PrismaBetterSQLite3({ url: `file:${scratchDb}` });
  },
});
