import { describe, expect, it } from "vitest";
import { loadMigrations, MigrationError, pendingMigrations } from "../../src/db/migrations.js";

const row = (migration_name: string, checksum: string, done = true) => ({
  migration_name,
  checksum,
  finished_at: done ? 1 : null,
  rolled_back_at: null,
});

describe("migrations", () => {
  const migrations = loadMigrations("sqlite");

  it("loads the committed SQLite migrations in order, with Prisma's SHA-256 checksums", () => {
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.name)).toEqual([...migrations.map((m) => m.name)].sort());
    for (const m of migrations) expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("applies everything to an empty database and nothing to a current one", () => {
    expect(pendingMigrations(migrations, [])).toEqual(migrations);
    expect(pendingMigrations(migrations, migrations.map((m) => row(m.name, m.checksum)))).toEqual([]);
  });

  it("refuses a database whose applied migration was edited afterwards", () => {
    expect(() => pendingMigrations(migrations, [row(migrations[0]!.name, "0".repeat(64))])).toThrow(MigrationError);
  });

  it("refuses a database from a newer FleetQL", () => {
    expect(() => pendingMigrations(migrations, [row("29990101000000_future", "a")])).toThrow(/does not know/);
  });

  it("refuses a migration that started and never finished", () => {
    expect(() => pendingMigrations(migrations, [row(migrations[0]!.name, migrations[0]!.checksum, false)])).toThrow(/never finished/);
  });
});
