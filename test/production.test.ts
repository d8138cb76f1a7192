// NODE_ENV=production: no introspection, no Sandbox, no "did you mean" hints.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { gql } from "./helpers/client.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ production: true });
});
afterAll(() => t.stop());

describe("in production", () => {
  it("refuses introspection", async () => {
    const response = await gql(t.url, `{ __schema { types { name } } }`);
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("serves no Sandbox to a browser", async () => {
    const response = await fetch(t.url, { headers: { accept: "text/html" } });
    const text = await response.text();
    expect(text).not.toMatch(/embeddable-sandbox|<html/i);
  });

  it("gives no field suggestions", async () => {
    const response = await gql(t.url, `{ devicez { edges { node { id } } } }`);
    expect(response.body.errors![0]!.message).not.toMatch(/Did you mean/);
  });
});
