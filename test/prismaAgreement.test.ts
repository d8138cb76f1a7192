// FleetQL applies migrations itself; Prisma's own tooling must agree with what it recorded.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/index.js";
import { ROOT } from "./helpers/process.js";

describe("migrations recorded as Prisma records them", () => {
  it("leaves `prisma migrate status` reporting the database up to date", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-prisma-"));
    try {
      const databaseUrl = `file:${path.join(dir, "fleetql.db")}`;
      const db = await createDb(databaseUrl, { migrate: true });
      await db.close();
      const status = spawnSync(path.join(ROOT, "node_modules", ".bin", "prisma"), ["migrate", "status"], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(status.stdout).toContain("Database schema is up to date!");
      expect(status.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
