// The error contract of FleetQL (README.md, Errors): every error a client can cause is a
// GraphQLError carrying one of these codes and the HTTP status a device can act on.
import { GraphQLError } from "graphql";

export const ERROR_STATUS = {
  UNAUTHENTICATED: 401,
  API_KEY_REQUIRED: 400,
  INVALID_API_KEY: 403,
  DEVICE_NAME_TAKEN: 400,
  EMAIL_TAKEN: 400,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 200,
  RATE_LIMITED: 429,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function fleetError(code: ErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code, http: { status: ERROR_STATUS[code] } },
  });
}

export const unauthenticated = (message = "You must be logged in.") => fleetError("UNAUTHENTICATED", message);
export const badUserInput = (message: string) => fleetError("BAD_USER_INPUT", message);
export const notFound = (what: string) => fleetError("NOT_FOUND", `${what} not found.`);

// One message for every refused key: the caller learns nothing about why.
export const invalidApiKey = () => fleetError("INVALID_API_KEY", "API key not valid.");
export const apiKeyRequired = () => fleetError("API_KEY_REQUIRED", "Provide an API key.");

/** Prisma's error for a unique-constraint violation, whichever adapter raised it. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}
