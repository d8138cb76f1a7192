// One document cannot ask for unbounded work: depth, aliases, directives, tokens, cost and
// rows returned are all capped, each refusal a clear 400.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { addDevice, expectData, gql, signUpUser, type TestUser } from "./helpers/client.js";

let t: TestServer;
let owner: TestUser;
beforeAll(async () => {
  t = await startTestServer();
  owner = await signUpUser(t.url);
  await addDevice(t.url, owner.token);
});
afterAll(() => t.stop());

async function expectRefused(query: string, variables: Record<string, unknown> = {}, pattern?: RegExp) {
  const response = await gql(t.url, query, variables, { token: owner.token });
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.body.data ?? null).toBeNull();
  if (pattern) expect(response.body.errors![0]!.message).toMatch(pattern);
  return response;
}

describe("query limits", () => {
  it("refuses more than 15 aliases", async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(" ");
    await expectRefused(`{ ${aliases} }`, {}, /alias/i);
    expectData(await gql(t.url, `{ ${aliases.split(" a15:")[0]} }`, {}, { token: owner.token }));
  });

  it("refuses a query deeper than 10", async () => {
    const deep = "{ me { devices { edges { node { readings { edges { node { id } } pageInfo { endCursor } } } } } } }";
    expectData(await gql(t.url, deep, {}, { token: owner.token }));
    await expectRefused("{ me { devices { edges { node { readings { edges { node { id __typename { __typename } } } } } } } } }");
    await expectRefused(`{ me { ${"devices { edges { node { __typename ".repeat(4)}${"} } } ".repeat(4)} } }`, {}, /depth/i);
  });

  it("refuses a document of more than 2,000 tokens", async () => {
    await expectRefused(`{ me { ${"id ".repeat(2100)} } }`, {}, /token/i);
  });

  it("refuses more than 50 directives", async () => {
    await expectRefused(`{ me { id ${"@include(if: true) ".repeat(51)} } }`, {}, /directive/i);
  });

  it("refuses a document that could return more than 10,000 rows, whether first is a literal or a variable", async () => {
    await expectRefused(`{ devices(first: 500) { edges { node { readings(first: 500) { edges { node { id } } } } } } }`, {}, /limit/);
    await expectRefused(`query($n: Int) { devices(first: $n) { edges { node { readings(first: $n) { edges { node { id } } } } } } }`, { n: 500 }, /rows/);
    expectData(await gql(t.url, `query($n: Int) { devices(first: $n) { edges { node { readings(first: $n) { edges { node { id } } } } } } }`, { n: 50 }, { token: owner.token }));
    await expectRefused(`query($n: Int) { devices(first: $n) { edges { node { readings(first: $n) { edges { node { id } } } } } } }`, { n: 101 }, /could return 10302 rows/);
    expectData(await gql(t.url, `{ devices { edges { node { readings { edges { node { id } } } } } } }`, {}, { token: owner.token }));
  });
});
