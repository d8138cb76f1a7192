// Person sessions: HS256 JWTs with the algorithm pinned on verify and iss/aud/exp checked.
import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";

export const JWT_ISSUER = "fleetql";
export const JWT_AUDIENCE = "fleetql-api";
const ALGORITHM = "HS256";

export interface JwtSettings {
  secret: string;
  ttlSeconds: number;
}

// jsonwebtoken turns a string secret into a KeyObject on every call (it tries a public key
// first, which fails, then a secret key): a third of a cheap request's time. Once per secret.
const keys = new Map<string, KeyObject>();
function keyFor(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, "utf8"));
    keys.set(secret, key);
  }
  return key;
}

export interface UserSession {
  userId: string;
  /** The account's tokenVersion when the token was issued; changePassword raises it. */
  version: number;
}

export function signUserToken(settings: JwtSettings, session: UserSession): string {
  return jwt.sign({ ver: session.version }, keyFor(settings.secret), {
    algorithm: ALGORITHM,
    subject: session.userId,
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    expiresIn: settings.ttlSeconds,
  });
}

/** The session the token carries, or null when it is invalid in any way. */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function verifyUserToken(settings: JwtSettings, token: string): UserSession | null {
  try {
    const payload = jwt.verify(token, keyFor(settings.secret), {
      algorithms: [ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
    });
    // User ids are UUIDs; anything else in `sub` names no account and must reach no query.
    if (typeof payload !== "object" || typeof payload.sub !== "string" || !USER_ID.test(payload.sub)) return null;
    if (typeof payload.exp !== "number") return null;
    const version = (payload as { ver?: unknown }).ver;
    if (!Number.isSafeInteger(version)) return null;
    return { userId: payload.sub, version: version as number };
  } catch {
    return null;
  }
}
