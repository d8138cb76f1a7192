// Builds a FleetQL server from its dependencies. Nothing here listens or opens anything
// on import: src/index.ts and the tests decide where it runs and on which database.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import type { JwtSettings } from "./auth/jwt.js";
import type { RateLimits } from "./config.js";
import { buildContext, clientAddress, type Context } from "./context.js";
import type { FleetDb } from "./db/types.js";
import { formatError, statusFromErrors } from "./formatError.js";
import { createHttpHandler, GRAPHQL_PATH, sendJson } from "./http/nodeHttpHandler.js";
import type { Logger } from "./logger.js";
import { buildSchema } from "./schema/index.js";
import { armor, maxNodesPlugin, QUERY_LIMITS } from "./queryLimits.js";
import { createServices, systemClock, type Clock } from "./services.js";
import { connectSharedState } from "./shared/redisState.js";
import { FleetMetrics } from "./observability/metrics.js";
import { requestLogPlugin } from "./observability/requestLog.js";

export interface ServerDeps {
  db: FleetDb;
  jwt: JwtSettings;
  production: boolean;
  logger: Logger;
  activityFlushMs?: number;
  /** How often to look for keys rotated or revoked by other instances. */
  keyEventPollMs?: number;
  rateLimits?: RateLimits;
  trustProxyHops?: number;
  clock?: Clock;
  /** Shares rate limits and key changes with the other instances; null: this instance alone. */
  redisUrl?: string | null;
  /** Namespaces FleetQL's Redis keys and channel (tests give each run its own). */
  redisPrefix?: string;
}

export interface FleetServer {
  httpServer: http.Server;
  services: ReturnType<typeof createServices>;
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting, finishes in-flight requests, writes pending activity, closes the database. */
  stop(): Promise<void>;
}

export async function createServer(deps: ServerDeps): Promise<FleetServer> {
  const { db, logger } = deps;
  const shared = deps.redisUrl
    ? connectSharedState(deps.redisUrl, { prefix: deps.redisPrefix ?? "fleetql:", clock: deps.clock ?? systemClock, logger })
    : null;
  const metrics = new FleetMetrics();
  const services = createServices({
    metrics,
    shared,
    db,
    jwt: deps.jwt,
    clock: deps.clock,
    activityFlushMs: deps.activityFlushMs ?? 1000,
    rateLimits: deps.rateLimits,
    onBackgroundError: (error) => logger.error({ err: error }, "background write failed"),
  });

  const httpServer = http.createServer();
  const protection = armor(deps.production);
  const apollo = new ApolloServer<Context>({
    schema: buildSchema(),
    validationRules: protection.validationRules,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    // Automatic persisted queries save nothing for devices that send one short mutation.
    persistedQueries: false,
    // Apollo pretty-prints by default; compact JSON is smaller and cheaper to write.
    stringifyResult: (value) => JSON.stringify(value),
    introspection: !deps.production,
    includeStacktraceInErrorResponses: false,
    // src/index.ts owns the signals: it drains Apollo, then writes pending state, then exits.
    stopOnTerminationSignals: false,
    hideSchemaDetailsFromClientErrors: deps.production,
    formatError: (formatted, error) => formatError(formatted, error, logger),
    // Apollo's own warnings (start-up, plugins) go to the same JSON log as everything else.
    logger: logger.child({ component: "apollo" }),
    plugins: [
      // FleetQL sets no cache hints; the plugin's per-field hook is pure cost on every request.
      ApolloServerPluginCacheControlDisabled(),
      ...(protection.plugins as ApolloServerPlugin<Context>[]),
      maxNodesPlugin(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      statusFromErrors(),
      // After statusFromErrors, so that it logs the status the client gets.
      requestLogPlugin(logger, metrics),
      deps.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
    ],
  });
  await apollo.start();

  httpServer.on(
    "request",
    createHttpHandler({
      apollo,
      context: (req) => buildContext(services, deps.jwt, req.headers, clientAddress(req.headers, req.socket.remoteAddress, deps.trustProxyHops ?? 0)),
      routes: {
        "/healthz": (_req, res) => sendJson(res, 200, { status: "ok" }),
        "/metrics": async (_req, res) => {
          const text = await metrics.text();
          res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
          res.end(text);
        },
        "/readyz": async (_req, res) => {
          const ready = await db.isReady().catch(() => false);
          sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable" });
        },
      },
      onError: (error) => logger.error({ err: error }, "request failed"),
      onRefused: (status, reason) => {
        metrics.requests.inc({ operation: "none", outcome: "BAD_REQUEST" });
        logger.info({ status, outcome: "BAD_REQUEST", reason }, "request refused");
      },
    }),
  );

  await shared?.subscribeKeyChanges((deviceId) => services.apiKeys.forgetDevice(deviceId));
  // A database that is away (or not migrated yet) fails every poll: say so every 10 s, not twice a second.
  let pollFailureLoggedAt = 0;
  await services.apiKeys.watch(deps.keyEventPollMs ?? 500, (error) => {
    if (Date.now() - pollFailureLoggedAt < 10_000) return;
    pollFailureLoggedAt = Date.now();
    logger.error({ err: error }, "key event poll failed; keys are looked up in the database until it succeeds");
  });
  services.activity.start();
  services.keyRefusals.start();
  const batchJanitor = setInterval(() => void services.readings.forgetOldBatches().catch((e) => logger.error({ err: e }, "batch clean-up failed")), 3600_000);
  batchJanitor.unref();

  let stopping: Promise<void> | null = null;
  return {
    httpServer,
    services,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => {
          httpServer.off("error", reject);
          const address = httpServer.address() as AddressInfo;
          const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}${GRAPHQL_PATH}`);
        });
      });
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(batchJanitor);
        services.apiKeys.stop();
        await apollo.stop();
        logger.debug("HTTP server drained");
        await services.activity.stop();
        logger.debug("device activity written");
        await services.keyRefusals.stop().catch((error: unknown) => logger.error({ err: error }, "refused-key counts not written"));
        await shared?.close();
        await db.close();
        logger.debug("database closed");
      })();
      return stopping;
    },
  };
}
