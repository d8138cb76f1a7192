// The schema is refused at build time when any field could escape its auth decision.
import { describe, expect, it } from "vitest";
import { buildSchema, typeDefs, resolvers } from "../src/schema/index.js";
import { SchemaCoverageError } from "../src/directives/coverage.js";

const base = typeDefs[0]!;
const build = (extra: string) => () => buildSchema([...typeDefs, extra], resolvers);

function refusal(extra: string): string[] {
  try {
    build(extra)();
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaCoverageError);
    return (error as SchemaCoverageError).problems;
  }
  throw new Error("schema was accepted");
}

describe("schema auth coverage", () => {
  it("accepts FleetQL's own schema", () => {
    expect(() => buildSchema()).not.toThrow();
  });

  it("refuses a field with an apiKey argument but no @apiKey", () => {
    expect(refusal(`extend type Mutation { sneaky(apiKey: String!): Boolean @public }`)).toEqual([
      "Mutation.sneaky has an apiKey argument but no @apiKey",
    ]);
  });

  it("refuses a non-root field with an apiKey argument but no @apiKey", () => {
    expect(refusal(`extend type Device { secret(apiKey: String!): String }`)).toEqual(["Device.secret has an apiKey argument but no @apiKey"]);
  });

  it("refuses an @apiKey field without an apiKey argument", () => {
    expect(refusal(`extend type Mutation { ping: Boolean @apiKey }`)).toEqual(["Mutation.ping has @apiKey but no apiKey argument"]);
  });

  it("refuses an @apiKey field whose apiKey argument is optional", () => {
    expect(refusal(`extend type Mutation { ping(apiKey: String): Boolean @apiKey }`)).toEqual([
      "Mutation.ping must declare its apiKey argument as String!",
    ]);
  });

  it("refuses a root field with no auth decision", () => {
    expect(refusal(`extend type Query { forgotten: Boolean }`)).toEqual(["Query.forgotten has no auth decision (@auth, @apiKey or @public)"]);
  });

  it("refuses a root field with two auth decisions", () => {
    expect(refusal(`extend type Query { both: Boolean @auth @public }`)).toEqual(["Query.both has conflicting auth decisions (@auth, @public)"]);
  });

  it("reports every problem at once", () => {
    expect(refusal(`extend type Query { a: Boolean b: Boolean }`)).toHaveLength(2);
  });

  it("keeps the directives declared in the base SDL", () => {
    for (const name of ["auth", "apiKey", "public"]) expect(base).toContain(`directive @${name} on FIELD_DEFINITION`);
  });
});
