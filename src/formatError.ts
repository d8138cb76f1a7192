// What a client may see of an error. FleetQL's own codes and the GraphQL-over-HTTP request
// errors pass through; anything else (a bug, a database failure) is logged in full and
// answered with a bare INTERNAL_SERVER_ERROR: no stack, no SQL, no message from inside.
import type { GraphQLFormattedError } from "graphql";
import type { ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { ERROR_STATUS } from "./errors.js";
import type { Logger } from "./logger.js";

const CLIENT_CODES = new Set<string>([
  ...Object.keys(ERROR_STATUS),
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

export function formatError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === "string" && CLIENT_CODES.has(code)) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  logger.error({ err: unwrapResolverError(error), path: formatted.path }, "unexpected error");
  return {
    message: "Internal server error",
    ...(formatted.path && { path: formatted.path }),
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}

/**
 * A failure of FleetQL's own must not look like success to a device that reads only the
 * status: a batch answered 200 would be dropped, one answered 500 is resent.
 */
export function internalErrorsAre500(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const errors = response.body.singleResult.errors ?? [];
          if (errors.some((error) => error.extensions?.code === "INTERNAL_SERVER_ERROR")) response.http.status = 500;
        },
      };
    },
  };
}
