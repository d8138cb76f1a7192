// One data model on two databases: the SQLite and PostgreSQL Prisma schemas declare the same
// models, fields, attributes, indexes and relations. They differ only in native types (@db.*,
// such as timestamptz) and in Reading.id, 64-bit on PostgreSQL (SQLite's integers are 64-bit
// already, while Prisma's BigInt there would lose the rowid alias that keeps inserts cheap).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/process.js";

const ALLOWED_TYPE_DIFFERENCES: Record<string, { sqlite: string; postgresql: string }> = {
  "Reading.id": { sqlite: "Int", postgresql: "BigInt" },
};

/** model -> field (or @@attribute line) -> its declaration without native types or comments. */
function models(provider: "sqlite" | "postgresql"): Map<string, Map<string, string>> {
  const text = fs.readFileSync(path.join(ROOT, "prisma", provider, "schema.prisma"), "utf8");
  const result = new Map<string, Map<string, string>>();
  for (const match of text.matchAll(/^model (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const fields = new Map<string, string>();
    for (const raw of match[2]!.split("\n")) {
      const line = raw.replace(/\/\/.*$/, "").replace(/@db\.\w+(\([^)]*\))?/g, "").trim().replace(/\s+/g, " ");
      if (line === "") continue;
      fields.set(line.startsWith("@@") ? line : line.split(" ")[0]!, line);
    }
    result.set(match[1]!, fields);
  }
  return result;
}

describe("the SQLite and PostgreSQL schemas", () => {
  const sqlite = models("sqlite");
  const postgresql = models("postgresql");

  it("declare the same models", () => {
    expect(sqlite.size).toBeGreaterThanOrEqual(7);
    expect([...postgresql.keys()].sort()).toEqual([...sqlite.keys()].sort());
  });

  it("declare the same fields with the same types and attributes, but for native types", () => {
    for (const [model, fields] of sqlite) {
      const other = postgresql.get(model)!;
      expect([...other.keys()].sort(), model).toEqual([...fields.keys()].sort());
      for (const [field, declaration] of fields) {
        const allowed = ALLOWED_TYPE_DIFFERENCES[`${model}.${field}`];
        const expected = allowed ? declaration.replace(` ${allowed.sqlite} `, ` ${allowed.postgresql} `) : declaration;
        expect(other.get(field), `${model}.${field}`).toBe(expected);
      }
    }
  });

  it("store every PostgreSQL timestamp with its time zone", () => {
    const text = fs.readFileSync(path.join(ROOT, "prisma", "postgresql", "schema.prisma"), "utf8");
    const dateTimes = text.split("\n").filter((line) => /^\s+\w+\s+DateTime\??\s/.test(line));
    expect(dateTimes.length).toBeGreaterThan(5);
    for (const line of dateTimes) expect(line).toContain("@db.Timestamptz(3)");
  });
});
