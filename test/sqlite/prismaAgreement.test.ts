// FleetQL applies migrations itself; Prisma's own tooling must agree with what it recorded.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/index.js";
import { ROOT } from "../helpers/process.js";

const PRISMA = path.join(ROOT, "node_modules", ".bin", "prisma");
const SCHEMA = path.join(ROOT, "prisma", "sqlite", "schema.prisma");

function prisma(args: string[], databaseUrl: string) {
  return spawnSync(PRISMA, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("migrations recorded as Prisma records them", () => {
  it("leaves `prisma migrate status` reporting the database up to date", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-prisma-"));
    try {
      const databaseUrl = `file:${path.join(dir, "fleetql.db")}`;
      const db = await createDb(databaseUrl, { migrate: true });
      await db.close();
      const status = prisma(["migrate", "status"], databaseUrl);
      expect(status.stdout).toContain("Database schema is up to date!");
      expect(status.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("build exactly the models schema.prisma declares", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-prisma-"));
    try {
      const databaseUrl = `file:${path.join(dir, "fleetql.db")}`;
      const db = await createDb(databaseUrl, { migrate: true });
      await db.close();
      // Introspect what the committed SQL built, then diff it against the declared models
      // (the driver adapter rules out diffing against the database directly).
      const pulled = prisma(["db", "pull", "--print", "--schema", SCHEMA], databaseUrl);
      expect(pulled.status).toBe(0);
      const pulledSchema = path.join(dir, "pulled.prisma");
      fs.writeFileSync(pulledSchema, pulled.stdout.slice(pulled.stdout.indexOf("generator client")));
      const diff = prisma(["migrate", "diff", "--from-schema-datamodel", pulledSchema, "--to-schema-datamodel", SCHEMA, "--script", "--exit-code"], databaseUrl);
      expect(diff.stdout).toContain("This is an empty migration.");
      expect(diff.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
