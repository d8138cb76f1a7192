// One structured log line and one set of metrics per GraphQL request: the request id, the
// operation (its root fields, and the client's operationName), who called (a person, a
// device, or anonymous), how long it took and the outcome code. Arguments and variables are
// never logged, so neither passwords nor API keys can reach a log line from here.
import type { ApolloServerPlugin } from "@apollo/server";
import { Kind, type OperationDefinitionNode } from "graphql";
import type { Context } from "../context.js";
import type { Logger } from "../logger.js";
import type { FleetMetrics } from "./metrics.js";

/** The root fields an operation selects (fragments at the root count as "…"). */
function rootFields(operation: OperationDefinitionNode | undefined): string[] {
  if (!operation) return [];
  return operation.selectionSet.selections.map((selection) => (selection.kind === Kind.FIELD ? selection.name.value : "…"));
}

/** A label bounded by the schema: the one root field, "multiple", or "none" for a request that never parsed. */
function operationLabel(fields: string[]): string {
  if (fields.length === 0) return "none";
  if (fields.length === 1 && fields[0] !== "…") return fields[0]!;
  return "multiple";
}

export function requestLogPlugin(logger: Logger, metrics: FleetMetrics): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, operation, operationName, errors }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const fields = rootFields(operation);
          const label = operationLabel(fields);
          const formatted = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
          // An internal error decides the outcome (and the 500) whatever else went wrong.
          const codes = (formatted ?? []).map((error) => error.extensions?.code);
          const code = codes.includes("INTERNAL_SERVER_ERROR") ? "INTERNAL_SERVER_ERROR" : (codes[0] ?? (errors?.length ? "INTERNAL_SERVER_ERROR" : "OK"));
          const outcome = typeof code === "string" ? code : "UNKNOWN";
          metrics.requests.inc({ operation: label, outcome });
          metrics.duration.observe({ operation: label }, seconds);
          response.http.headers.set("x-request-id", contextValue.requestId);
          if (!logger.isLevelEnabled("info")) return;
          logger.info(
            {
              reqId: contextValue.requestId,
              operation: fields.join(",") || null,
              operationName: operationName ?? null,
              caller: contextValue.caller,
              durationMs: Math.round(seconds * 1e6) / 1e3,
              outcome,
              status: response.http.status ?? 200,
            },
            "request",
          );
        },
      };
    },
  };
}
