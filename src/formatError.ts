// What a client may see of an error. FleetQL's own codes and the GraphQL-over-HTTP request
// errors pass through; anything else (a bug, a database failure) is logged in full and
// answered with a bare INTERNAL_SERVER_ERROR: no stack, no SQL, no message from inside.
import type { GraphQLFormattedError } from "graphql";
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
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
 * The status says what happened, for a device that reads nothing else. A failure of FleetQL's
 * own is 500, never 200: a batch answered 200 would be dropped, one answered 500 is resent.
 */
export function statusFromErrors<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const codes = (response.body.singleResult.errors ?? []).map((error) => error.extensions?.code);
          if (codes.includes("INTERNAL_SERVER_ERROR")) response.http.status = 500;
        },
      };
    },
  };
}
