// The HTTP side of the error contract (README.md, Errors) and GraphQL-over-HTTP request errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { addDevice, expectData, gql, HEARTBEAT, signUpUser } from "./helpers/client.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

const post = (body: string | Uint8Array, headers: Record<string, string> = { "content-type": "application/json" }) =>
  fetch(t.url, { method: "POST", headers, body });

describe("request-level errors", () => {
  it("answers malformed JSON with 400 and a GraphQL error body", async () => {
    const response = await post("{ not json");
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].message).toMatch(/JSON/);
  });

  it("answers an unparsable query with GRAPHQL_PARSE_FAILED and 400", async () => {
    const response = await gql(t.url, "mutation {");
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions!.code).toBe("GRAPHQL_PARSE_FAILED");
  });

  it("answers an unknown field with GRAPHQL_VALIDATION_FAILED and 400", async () => {
    const response = await gql(t.url, "{ nothingHere }");
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("refuses a mutation over GET with 405", async () => {
    const response = await fetch(`${t.url}?query=${encodeURIComponent("mutation { heartbeat(apiKey: \"x\") { deviceId } }")}`, {
      headers: { "apollo-require-preflight": "1" },
    });
    expect(response.status).toBe(405);
  });

  it("serves a query over GET", async () => {
    const response = await fetch(`${t.url}?query=${encodeURIComponent("{ __typename }")}`, { headers: { "apollo-require-preflight": "1" } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("refuses subscriptions, and persisted queries as Apollo's protocol says", async () => {
    const subscription = await gql(t.url, "subscription { __typename }");
    expect(subscription.status).toBe(400);
    expect(subscription.body.errors![0]!.extensions!.code).toBe("BAD_REQUEST");
    const persisted = await post(JSON.stringify({ query: "{ __typename }", extensions: { persistedQuery: { version: 1, sha256Hash: "abc" } } }));
    // APQ clients expect 200 with this code, and then send the full query.
    expect(persisted.status).toBe(200);
    expect(((await persisted.json()) as any).errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_SUPPORTED");
  });

  it("refuses a compressed body with 415, saying why", async () => {
    const { gzipSync } = await import("node:zlib");
    const response = await post(gzipSync(JSON.stringify({ query: "{ __typename }" })), { "content-type": "application/json", "content-encoding": "gzip" });
    expect(response.status).toBe(415);
    expect(await response.text()).toMatch(/Content-Encoding gzip are not supported/);
    expect((await post(JSON.stringify({ query: "{ __typename }" }), { "content-type": "application/json", "content-encoding": "identity" })).status).toBe(200);
  });

  it("refuses JSON in a charset other than UTF-8 with 415", async () => {
    const response = await post(JSON.stringify({ query: "{ __typename }" }), { "content-type": "application/json; charset=latin1" });
    expect(response.status).toBe(415);
  });

  it("refuses a body that is not valid UTF-8 with 400, storing nothing", async () => {
    const owner = await signUpUser(t.url);
    // The bytes FF FE sit inside the device name: {"query":"mutation { addDevice(name: \"bad<FF FE>name\") { apiKey } }"}
    const query = Buffer.concat([Buffer.from(`{"query":"mutation { addDevice(name: \\"bad`), Buffer.from([0xff, 0xfe]), Buffer.from(`name\\") { apiKey } }"}`)]);
    const response = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${owner.token}` }, body: query });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("not valid UTF-8");
    const list = expectData(await gql(t.url, `{ devices { edges { node { name } } } }`, {}, { token: owner.token }));
    expect(list.devices.edges).toEqual([]);
  });

  it("refuses batched (array) requests with 400: one request, one operation", async () => {
    const response = await post(JSON.stringify([{ query: "{ __typename }" }, { query: "{ __typename }" }]));
    expect(response.status).toBe(400);
    expect(await response.text()).not.toMatch(/__typename"/);
  });

  it("refuses a text/plain POST (CSRF prevention) with 400", async () => {
    const response = await post(JSON.stringify({ query: "{ __typename }" }), { "content-type": "text/plain" });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it("refuses a GET that a browser form could send (CSRF prevention) with 400, and serves one with a preflight header", async () => {
    const url = `${t.url}?query=${encodeURIComponent("{ __typename }")}`;
    const bare = await fetch(url);
    expect(bare.status).toBe(400);
    expect(await bare.text()).toMatch(/Cross-Site Request Forgery/);
    expect((await fetch(url, { headers: { "content-type": "application/json" } })).status).toBe(200);
    expect((await fetch(url, { headers: { "x-apollo-operation-name": "Q" } })).status).toBe(200);
  });

  it("refuses a body over 1 MB with 413", async () => {
    const response = await post(JSON.stringify({ query: "{ __typename }", variables: { pad: "x".repeat(1024 * 1024) } }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe("BAD_REQUEST");
    // The server still answers the next request.
    expect((await gql(t.url, "{ __typename }")).status).toBe(200);
  });

  it("answers CORS preflights so browser tools can call the API", async () => {
    const response = await fetch(t.url, { method: "OPTIONS", headers: { origin: "https://studio.example", "access-control-request-method": "POST" } });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-headers")).toMatch(/authorization/);
  });

  it("serves Apollo Sandbox to a browser in development", async () => {
    const response = await fetch(t.url, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/embeddable-sandbox/i);
  });

  it("answers an unknown path with 404", async () => {
    expect((await fetch(`${t.origin}/nope`)).status).toBe(404);
  });

  it("answers the health endpoints", async () => {
    expect((await fetch(`${t.origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });
});

describe("the status a device acts on", () => {
  it("is 200 for an accepted call and 403 for a refused key, in the same shape", async () => {
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    expectData(await gql(t.url, HEARTBEAT, { k: device.apiKey }));
    const last = device.apiKey.at(-1) === "0" ? "1" : "0";
    expect((await gql(t.url, HEARTBEAT, { k: device.apiKey.slice(0, -1) + last })).status).toBe(403);
  });
});

describe("errors never leak internals", () => {
  it("masks an unexpected failure as INTERNAL_SERVER_ERROR without a message from inside", async () => {
    // A stored status that is not JSON cannot come from the API; it stands for any bug.
    const owner = await signUpUser(t.url);
    const device = await addDevice(t.url, owner.token);
    const { query } = await import("./helpers/db.js");
    await query(t.databaseUrl, `UPDATE "Device" SET "status" = '{broken' WHERE "id" = $1`, [device.id]);
    const response = await gql(t.url, `query($id: ID!) { device(id: $id) { status } }`, { id: device.id }, { token: owner.token });
    expect(response.body.errors![0]).toMatchObject({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    // A device reading only the status must not mistake a failure for success.
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toMatch(/JSON at position|SyntaxError|stack/);
  });
});
