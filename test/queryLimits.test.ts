// One document cannot ask for unbounded work: depth, aliases, directives, tokens, cost and
// rows returned are all capped, each refusal a clear 400.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { addDevice, expectData, gql, signUpUser, type TestUser } from "./helpers/client.js";
import { buildSchema, Kind, parse, validate, type GraphQLObjectType, type OperationDefinitionNode, type ValidationRule } from "graphql";
import { armor, estimateNodes } from "../src/queryLimits.js";

let t: TestServer;
let owner: TestUser;
beforeAll(async () => {
  t = await startTestServer();
  owner = await signUpUser(t.url);
  await addDevice(t.url, owner.token);
});
afterAll(() => t.stop());

async function expectRefused(query: string, variables: Record<string, unknown>, pattern: RegExp, code = "BAD_USER_INPUT") {
  const response = await gql(t.url, query, variables, { token: owner.token });
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.body.data ?? null).toBeNull();
  expect(response.body.errors![0]!.message).toMatch(pattern);
  expect(response.body.errors![0]!.extensions!.code).toBe(code);
  return response;
}

describe("query limits", () => {
  it("refuses more than 15 aliases", async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(" ");
    await expectRefused(`{ ${aliases} }`, {}, /alias/i, "GRAPHQL_VALIDATION_FAILED");
    expectData(await gql(t.url, `{ ${aliases.split(" a15:")[0]} }`, {}, { token: owner.token }));
  });

  it("refuses a query deeper than 10, counting through fragments", async () => {
    const nine = "{ me { devices { edges { node { readings { edges { node { id } } } } } } } }";
    expectData(await gql(t.url, nine, {}, { token: owner.token }));
    const viaFragments = `query { me { ...U } }
      fragment U on User { devices { edges { node { ...D } } } }
      fragment D on Device { readings { edges { node { ...R } } pageInfo { endCursor } } }
      fragment R on Reading { id }`;
    expectData(await gql(t.url, viaFragments, {}, { token: owner.token }));
    const deep = `query { me { devices { edges { node { readings { edges { node { ...R } } } } } } } }
      fragment R on Reading { id ...S } fragment S on Reading { ...T } fragment T on Reading { metric }`;
    expectData(await gql(t.url, deep, {}, { token: owner.token }));
    // FleetQL's own types nest at most 8 deep and Armor leaves introspection alone, so the
    // limit is checked on a recursive schema with FleetQL's validation rules.
    const schema = buildSchema("type Query { node: Node } type Node { id: ID child: Node }");
    const nested = (n: number) => `{ ${"node { ".repeat(1)}${"child { ".repeat(n - 2)}id${" }".repeat(n - 1)} }`;
    const rules = armor(false).validationRules as ValidationRule[];
    expect(validate(schema, parse(nested(10)), rules)).toEqual([]);
    expect(validate(schema, parse(nested(11)), rules).map((e) => e.message).join()).toMatch(/depth/i);
  });

  it("refuses a document of more than 2,000 tokens", async () => {
    await expectRefused(`{ me { ${"id ".repeat(2100)} } }`, {}, /token/i, "GRAPHQL_PARSE_FAILED");
  });

  it("refuses more than 50 directives", async () => {
    await expectRefused(`{ me { id ${"@include(if: true) ".repeat(51)} } }`, {}, /directive/i, "GRAPHQL_VALIDATION_FAILED");
  });

  it("refuses a document that could return more than 10,000 rows, however `first` is given", async () => {
    const nested = (first: string) => `{ devices(first: ${first}) { edges { node { readings(first: ${first}) { edges { node { id } } } } } } }`;
    await expectRefused(nested("500"), {}, /could return 250500 rows; the limit is 10000/);
    const withVariables = `query($n: Int) { devices(first: $n) { edges { node { readings(first: $n) { edges { node { id } } } } } } }`;
    await expectRefused(withVariables, { n: 500 }, /could return 250500 rows/);
    await expectRefused(withVariables, { n: 101 }, /could return 10302 rows/);
    expectData(await gql(t.url, withVariables, { n: 50 }, { token: owner.token }));
    // A variable's default, and an absent or null value (the argument's default), count too.
    await expectRefused(`query($n: Int = 500) { devices(first: $n) { edges { node { readings(first: $n) { edges { node { id } } } } } } }`, {}, /could return 250500 rows/);
    await expectRefused(`query($m: Int) { devices(first: 500) { edges { node { readings(first: $m) { edges { node { id } } } } } } }`, { m: null }, /could return 50500 rows/);
    // A `first` variable that does not coerce is execution's to refuse, with its own message.
    await expectRefused(withVariables, { n: "many" }, /Variable "\$n" got invalid value "many"/);
    // The defaults themselves fit: 20 devices of 100 readings.
    expectData(await gql(t.url, `{ devices { edges { node { readings { edges { node { id } } } } } } }`, {}, { token: owner.token }));
  });

  it("looks at variables only when a `first` names one, so a large reading batch is not coerced twice", () => {
    const schema = buildSchema(`type Query { ok: Boolean } type Mutation { report(rows: [Float!]!): Int items(first: Int = 10): Page }
      type Page { rows(first: Int = 5): [Row] } type Row { v: Int }`);
    const estimate = (document: string, variables: () => Record<string, unknown>) => {
      const operation = parse(document).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
      return estimateNodes(operation.selectionSet, schema.getMutationType() as GraphQLObjectType, {}, variables, schema);
    };
    const untouchable = () => {
      throw new Error("variables were coerced");
    };
    expect(estimate(`mutation($r: [Float!]!) { report(rows: $r) }`, untouchable)).toBe(0);
    expect(estimate(`mutation { items(first: 3) { rows { v } } }`, untouchable)).toBe(3 + 3 * 5);
    expect(estimate(`mutation($n: Int) { items(first: $n) { rows(first: 2) { v } } }`, () => ({ n: 4 }))).toBe(4 + 4 * 2);
  });

  it("serves README's example queries", async () => {
    const readme = (await import("node:fs")).readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((q) => /^\s*(query|\{)/.test(q));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const query of blocks) {
      const response = await gql(t.url, query, {}, { token: owner.token });
      expect(response.status, `${query}\n${JSON.stringify(response.body.errors)}`).toBe(200);
    }
  });
});
