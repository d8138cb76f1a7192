import { describe, expect, it } from "vitest";
import jwt from "jsonwebtoken";
import { signUserToken, verifyUserToken, JWT_AUDIENCE, JWT_ISSUER } from "../../src/auth/jwt.js";

const USER_ID = "0b3f2c1e-9a4d-4e7b-8c2a-5d6e7f8a9b0c";

const settings = { secret: "unit-test-secret-unit-test-secret-0123", ttlSeconds: 60 };
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("user JWTs", () => {
  const session = { userId: USER_ID, version: 3 };

  it("round-trips the user id and token version", () => {
    expect(verifyUserToken(settings, signUserToken(settings, session))).toEqual(session);
  });

  it("refuses a token without a version", () => {
    const token = jwt.sign({}, settings.secret, { subject: USER_ID, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 });
    expect(verifyUserToken(settings, token)).toBeNull();
  });

  it("always sets exp, iss, aud and sub", () => {
    const claims = jwt.decode(signUserToken(settings, session)) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: USER_ID, iss: JWT_ISSUER, aud: JWT_AUDIENCE, ver: 3 });
    expect(claims.exp! - claims.iat!).toBe(60);
  });

  it("refuses a token whose payload was altered", () => {
    const [header, , signature] = signUserToken(settings, session).split(".");
    const payload = b64({ sub: "admin", ver: 0, iss: JWT_ISSUER, aud: JWT_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 });
    expect(verifyUserToken(settings, `${header}.${payload}.${signature}`)).toBeNull();
  });

  it('refuses alg "none"', () => {
    const payload = b64({ sub: USER_ID, ver: 0, iss: JWT_ISSUER, aud: JWT_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 });
    expect(verifyUserToken(settings, `${b64({ alg: "none", typ: "JWT" })}.${payload}.`)).toBeNull();
  });

  it("refuses another HMAC algorithm than the pinned one", () => {
    const token = jwt.sign({ ver: 0 }, settings.secret, { algorithm: "HS512", subject: USER_ID, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 });
    expect(verifyUserToken(settings, token)).toBeNull();
  });

  it("refuses a wrong secret, issuer or audience", () => {
    const sign = (secret: string, issuer: string, audience: string) => jwt.sign({ ver: 0 }, secret, { subject: USER_ID, issuer, audience, expiresIn: 60 });
    expect(verifyUserToken(settings, sign("another-secret-another-secret-0123", JWT_ISSUER, JWT_AUDIENCE))).toBeNull();
    expect(verifyUserToken(settings, sign(settings.secret, "someone-else", JWT_AUDIENCE))).toBeNull();
    expect(verifyUserToken(settings, sign(settings.secret, JWT_ISSUER, "another-api"))).toBeNull();
  });

  it("refuses an expired token and one without exp", () => {
    const expired = jwt.sign({ ver: 0, exp: Math.floor(Date.now() / 1000) - 1 }, settings.secret, { subject: USER_ID, issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
    expect(verifyUserToken(settings, expired)).toBeNull();
    const eternal = jwt.sign({ ver: 0 }, settings.secret, { subject: USER_ID, issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
    expect(verifyUserToken(settings, eternal)).toBeNull();
  });

  it("refuses a token without a subject", () => {
    const token = jwt.sign({ ver: 0 }, settings.secret, { issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 });
    expect(verifyUserToken(settings, token)).toBeNull();
  });

  it("refuses a validly signed token whose sub is not a user id", () => {
    for (const sub of ["admin", "\ud800", "a\u0000b", ""]) {
      const token = jwt.sign({ ver: 0 }, settings.secret, { subject: sub, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 });
      expect(verifyUserToken(settings, token), JSON.stringify(sub)).toBeNull();
    }
  });
});
