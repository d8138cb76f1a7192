// Who is calling. Built once per request from the Authorization header: a person (user id
// from a valid JWT), anonymous, or a refused token remembered as an error that @auth
// fields raise. Devices are authenticated per field by @apiKey, not here.
import { randomUUID } from "node:crypto";
import type { GraphQLError } from "graphql";
import type { IncomingHttpHeaders } from "node:http";
import { verifyUserToken, type JwtSettings } from "./auth/jwt.js";
import { unauthenticated } from "./errors.js";
import type { Services } from "./services.js";
import type { AuthenticatedDevice } from "./auth/apiKeyVerifier.js";

export type CallerKind = "person" | "device" | "anonymous";

export interface Context {
  /** The client's X-Request-Id when it sent a sane one, else a fresh one; echoed and logged. */
  requestId: string;
  /** Who called, for logs: a person (valid JWT), a device (set by @apiKey), or anonymous. */
  caller: CallerKind;
  userId: string | null;
  /** The tokenVersion the JWT was issued under; @auth checks it is still the account's. */
  tokenVersion: number;
  authError: GraphQLError | null;
  /** The peer's address, the key for per-address limits. */
  clientAddress: string;
  /** Set by @apiKey for the one field it guards; null everywhere else. */
  device: AuthenticatedDevice | null;
  services: Services;
}

const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers["x-request-id"];
  return typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

export function buildContext(services: Services, jwt: JwtSettings, headers: IncomingHttpHeaders, clientAddress: string): Context {
  const requestId = requestIdFrom(headers);
  const header = headers.authorization;
  if (header === undefined || header.trim() === "") {
    return { requestId, caller: "anonymous", userId: null, tokenVersion: 0, authError: null, clientAddress, device: null, services };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const session = match ? verifyUserToken(jwt, match[1]!) : null;
  if (session === null) {
    return {
      requestId,
      caller: "anonymous",
      userId: null,
      tokenVersion: 0,
      authError: unauthenticated(match ? "Invalid or expired token." : "Authorization header must be \"Bearer <token>\"."),
      clientAddress,
      device: null,
      services,
    };
  }
  return { requestId, caller: "person", userId: session.userId, tokenVersion: session.version, authError: null, clientAddress, device: null, services };
}

/** The device @apiKey authenticated for this field. */
export function authenticatedDevice(context: Context): AuthenticatedDevice {
  if (!context.device) throw new Error("device field resolved without @apiKey");
  return context.device;
}

/**
 * The address limits are kept against: the socket's peer, or, behind `trustProxyHops`
 * proxies, the address the outermost trusted proxy saw (X-Forwarded-For entries further
 * left were written by the client and prove nothing).
 */
export function clientAddress(headers: IncomingHttpHeaders, socketAddress: string | undefined, trustProxyHops: number): string {
  const forwarded = headers["x-forwarded-for"];
  if (trustProxyHops > 0 && typeof forwarded === "string") {
    const hops = forwarded.split(",").map((part) => part.trim()).filter(Boolean);
    const address = hops[Math.max(0, hops.length - trustProxyHops)];
    if (address) return address;
  }
  return socketAddress ?? "unknown";
}
