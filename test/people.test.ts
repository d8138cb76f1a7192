import { afterAll, beforeAll, describe, expect, it } from "vitest";
import jwt from "jsonwebtoken";
import { randomUUID } from "node:crypto";
import { startTestServer, TEST_JWT, type TestServer } from "./helpers/server.js";
import { expectData, expectError, gql, PASSWORD, signUpUser } from "./helpers/client.js";

const SIGN_UP = `mutation($e: EmailAddress!, $p: String!) { signUp(email: $e, password: $p) { token user { id email createdAt } } }`;
const LOG_IN = `mutation($e: EmailAddress!, $p: String!) { logIn(email: $e, password: $p) { token user { id email } } }`;
const ME = `{ me { id email createdAt devices { edges { node { id } } } } }`;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

const freshEmail = () => `person-${randomUUID()}@example.com`;

describe("signUp", () => {
  it("creates an account and returns a JWT that identifies it", async () => {
    const email = freshEmail();
    const data = expectData(await gql(t.url, SIGN_UP, { e: email, p: PASSWORD }));
    expect(data.signUp.user.email).toBe(email);
    const claims = jwt.verify(data.signUp.token, TEST_JWT.secret, { algorithms: ["HS256"] }) as jwt.JwtPayload;
    expect(claims.sub).toBe(data.signUp.user.id);
    expect(claims.iss).toBe("fleetql");
    expect(claims.aud).toBe("fleetql-api");
    expect(claims.exp! - claims.iat!).toBe(TEST_JWT.ttlSeconds);
  });

  it("refuses an email already registered with EMAIL_TAKEN, whatever its case", async () => {
    const email = freshEmail();
    expectData(await gql(t.url, SIGN_UP, { e: email, p: PASSWORD }));
    expectError(await gql(t.url, SIGN_UP, { e: email.toUpperCase(), p: PASSWORD }), "EMAIL_TAKEN", 400);
  });

  it("refuses a password shorter than 15 characters with BAD_USER_INPUT", async () => {
    expectError(await gql(t.url, SIGN_UP, { e: freshEmail(), p: "fourteen chars" }), "BAD_USER_INPUT", 400);
  });

  it("accepts a password of exactly 15 characters", async () => {
    expectData(await gql(t.url, SIGN_UP, { e: freshEmail(), p: "fifteen chars!!" }));
  });

  it("refuses a password longer than 256 characters with BAD_USER_INPUT", async () => {
    expectError(await gql(t.url, SIGN_UP, { e: freshEmail(), p: "x".repeat(257) }), "BAD_USER_INPUT", 400);
  });

  it("refuses an email address over 254 characters and a password with an unpaired surrogate", async () => {
    expectError(await gql(t.url, SIGN_UP, { e: `${"a".repeat(250)}@example.com`, p: PASSWORD }), "BAD_USER_INPUT", 400);
    expectError(await gql(t.url, SIGN_UP, { e: freshEmail(), p: `${PASSWORD}\ud800` }), "BAD_USER_INPUT", 400);
  });

  it("takes a password holding NUL, which is only ever hashed", async () => {
    const email = freshEmail();
    const password = `${PASSWORD}\u0000more`;
    expectData(await gql(t.url, SIGN_UP, { e: email, p: password }));
    expectData(await gql(t.url, LOG_IN, { e: email, p: password }));
    expectError(await gql(t.url, LOG_IN, { e: email, p: PASSWORD }), "UNAUTHENTICATED", 401);
  });

  it("refuses an invalid email address with BAD_USER_INPUT", async () => {
    expectError(await gql(t.url, SIGN_UP, { e: "not-an-email", p: PASSWORD }), "BAD_USER_INPUT", 400);
  });
});

describe("logIn", () => {
  it("returns a token for the right password", async () => {
    const user = await signUpUser(t.url);
    const data = expectData(await gql(t.url, LOG_IN, { e: user.email, p: PASSWORD }));
    expect(data.logIn.user.id).toBe(user.id);
    const me = expectData(await gql(t.url, ME, {}, { token: data.logIn.token }));
    expect(me.me.email).toBe(user.email);
  });

  it("refuses a wrong password and an unknown email alike with UNAUTHENTICATED", async () => {
    const user = await signUpUser(t.url);
    const wrong = await gql(t.url, LOG_IN, { e: user.email, p: `${PASSWORD}!` });
    const unknown = await gql(t.url, LOG_IN, { e: freshEmail(), p: PASSWORD });
    expectError(wrong, "UNAUTHENTICATED", 401);
    expectError(unknown, "UNAUTHENTICATED", 401);
    expect(wrong.body.errors![0]!.message).toBe(unknown.body.errors![0]!.message);
  });
});

describe("me and the JWT context", () => {
  it("shows the caller's own account", async () => {
    const user = await signUpUser(t.url);
    const data = expectData(await gql(t.url, ME, {}, { token: user.token }));
    expect(data.me).toMatchObject({ id: user.id, email: user.email, devices: { edges: [] } });
  });

  it("refuses a missing token with UNAUTHENTICATED and 401", async () => {
    expectError(await gql(t.url, ME), "UNAUTHENTICATED", 401);
  });

  it("refuses a garbage token and a malformed header with 401", async () => {
    expectError(await gql(t.url, ME, {}, { token: "not.a.jwt" }), "UNAUTHENTICATED", 401);
    expectError(await gql(t.url, ME, {}, { headers: { authorization: "Basic abc" } }), "UNAUTHENTICATED", 401);
  });

  it("refuses a token signed with another secret", async () => {
    const user = await signUpUser(t.url);
    const forged = jwt.sign({ ver: 0 }, "another-secret-another-secret-another", { subject: user.id, issuer: "fleetql", audience: "fleetql-api", expiresIn: 60 });
    expectError(await gql(t.url, ME, {}, { token: forged }), "UNAUTHENTICATED", 401);
  });

  it('refuses an unsigned token (alg "none") and one signed with another algorithm', async () => {
    const user = await signUpUser(t.url);
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const claims = { sub: user.id, ver: 0, iss: "fleetql", aud: "fleetql-api", exp: Math.floor(Date.now() / 1000) + 60 };
    expectError(await gql(t.url, ME, {}, { token: `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.` }), "UNAUTHENTICATED", 401);
    const hs512 = jwt.sign(claims, TEST_JWT.secret, { algorithm: "HS512" });
    expectError(await gql(t.url, ME, {}, { token: hs512 }), "UNAUTHENTICATED", 401);
    const valid = jwt.sign(claims, TEST_JWT.secret, { algorithm: "HS256" });
    expectData(await gql(t.url, ME, {}, { token: valid }));
  });

  it("refuses an expired token", async () => {
    const user = await signUpUser(t.url);
    const expired = jwt.sign({ ver: 0, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT.secret, { subject: user.id, issuer: "fleetql", audience: "fleetql-api" });
    expectError(await gql(t.url, ME, {}, { token: expired }), "UNAUTHENTICATED", 401);
  });

  it("refuses a token issued for another issuer or audience, or without an expiry", async () => {
    const user = await signUpUser(t.url);
    const sign = (options: jwt.SignOptions) => jwt.sign({ ver: 0 }, TEST_JWT.secret, { subject: user.id, algorithm: "HS256", ...options });
    expectError(await gql(t.url, ME, {}, { token: sign({ issuer: "someone-else", audience: "fleetql-api", expiresIn: 60 }) }), "UNAUTHENTICATED", 401);
    expectError(await gql(t.url, ME, {}, { token: sign({ issuer: "fleetql", audience: "another-api", expiresIn: 60 }) }), "UNAUTHENTICATED", 401);
    expectError(await gql(t.url, ME, {}, { token: sign({ audience: "fleetql-api", expiresIn: 60 }) }), "UNAUTHENTICATED", 401);
    expectError(await gql(t.url, ME, {}, { token: sign({ issuer: "fleetql", audience: "fleetql-api" }) }), "UNAUTHENTICATED", 401);
    expectData(await gql(t.url, ME, {}, { token: sign({ issuer: "fleetql", audience: "fleetql-api", expiresIn: 60 }) }));
  });

  it("refuses a token for an account that does not exist", async () => {
    const ghost = jwt.sign({ ver: 0 }, TEST_JWT.secret, { subject: randomUUID(), issuer: "fleetql", audience: "fleetql-api", expiresIn: 60 });
    expectError(await gql(t.url, ME, {}, { token: ghost }), "UNAUTHENTICATED", 401);
  });

  it("still serves public fields to a caller whose token is bad", async () => {
    expectData(await gql(t.url, SIGN_UP, { e: freshEmail(), p: PASSWORD }, { token: "garbage" }));
  });
});

describe("changePassword", () => {
  const CHANGE = `mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) { token user { id } } }`;
  const NEW_PASSWORD = "a brand new passphrase for this";

  it("returns a fresh token and ends every session issued before it", async () => {
    const user = await signUpUser(t.url);
    const second = expectData(await gql(t.url, LOG_IN, { e: user.email, p: PASSWORD })).logIn.token;
    const changed = expectData(await gql(t.url, CHANGE, { c: PASSWORD, n: NEW_PASSWORD }, { token: user.token }));
    expect(changed.changePassword.user.id).toBe(user.id);
    for (const old of [user.token, second]) expectError(await gql(t.url, ME, {}, { token: old }), "UNAUTHENTICATED", 401);
    expect(expectData(await gql(t.url, ME, {}, { token: changed.changePassword.token })).me.id).toBe(user.id);
    expectError(await gql(t.url, LOG_IN, { e: user.email, p: PASSWORD }), "UNAUTHENTICATED", 401);
    expectData(await gql(t.url, LOG_IN, { e: user.email, p: NEW_PASSWORD }));
  });

  it("refuses a wrong current password with UNAUTHENTICATED and a short new one with BAD_USER_INPUT", async () => {
    const user = await signUpUser(t.url);
    expectError(await gql(t.url, CHANGE, { c: `${PASSWORD}?`, n: NEW_PASSWORD }, { token: user.token }), "UNAUTHENTICATED", 401);
    expectError(await gql(t.url, CHANGE, { c: PASSWORD, n: "too short" }, { token: user.token }), "BAD_USER_INPUT", 400);
    expectData(await gql(t.url, ME, {}, { token: user.token }));
  });
});

describe("deleteAccount", () => {
  const DELETE = `mutation($p: String!) { deleteAccount(password: $p) }`;

  it("removes the account and its devices, whose keys stop working at once", async () => {
    const { addDevice, HEARTBEAT, REPORT } = await import("./helpers/client.js");
    const user = await signUpUser(t.url);
    const device = await addDevice(t.url, user.token);
    expectData(await gql(t.url, REPORT, { k: device.apiKey, r: [{ metric: "m", value: 1 }] }));
    expectError(await gql(t.url, DELETE, { p: "wrong password entirely" }, { token: user.token }), "UNAUTHENTICATED", 401);
    expect(expectData(await gql(t.url, DELETE, { p: PASSWORD }, { token: user.token })).deleteAccount).toBe(true);
    expectError(await gql(t.url, HEARTBEAT, { k: device.apiKey }), "INVALID_API_KEY", 403);
    expectError(await gql(t.url, ME, {}, { token: user.token }), "UNAUTHENTICATED", 401);
    expectError(await gql(t.url, LOG_IN, { e: user.email, p: PASSWORD }), "UNAUTHENTICATED", 401);
    const { countReadings } = await import("./helpers/db.js");
    expect(await countReadings(t.databaseUrl, device.id)).toBe(0);
    // The address is free again.
    expectData(await gql(t.url, SIGN_UP, { e: user.email, p: PASSWORD }));
  });
});
