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

export function signUserToken(settings: JwtSettings, userId: string): string {
  return jwt.sign({}, keyFor(settings.secret), {
    algorithm: ALGORITHM,
    subject: userId,
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    expiresIn: settings.ttlSeconds,
  });
}

/** The user id the token was issued to, or null when it is invalid in any way. */
export function verifyUserToken(settings: JwtSettings, token: string): string | null {
  try {
    const payload = jwt.verify(token, keyFor(settings.secret), {
      algorithms: [ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
    });
    if (typeof payload !== "object" || typeof payload.sub !== "string" || payload.sub === "") return null;
    if (typeof payload.exp !== "number") return null;
    return payload.sub;
  } catch {
    return null;
  }
}
