// FleetQL's HTTP integration for Apollo Server on plain node:http. Apollo's standalone
// server parses bodies through Express middleware (cors + body-parser); reading the body
// directly keeps the device path cheap, and lets FleetQL cap body size and answer the
// operator endpoints on the same port.
import { isUtf8 } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from "@apollo/server";

export const MAX_BODY_BYTES = 1024 * 1024;
export const GRAPHQL_PATH = "/graphql";

const CORS_HEADERS: Record<string, string> = {
  // Tokens travel in the Authorization header, never in cookies, so any origin may call.
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers":
    "content-type, authorization, apollo-require-preflight, x-apollo-operation-name, apollographql-client-name, apollographql-client-version",
  "access-control-max-age": "86400",
};

export type ExtraRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface HttpHandlerOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  context: (req: IncomingMessage) => Promise<TContext> | TContext;
  /** Where GraphQL is served; FleetQL uses /graphql. */
  path?: string;
  routes?: Record<string, ExtraRoute>;
  onError?: (error: unknown) => void;
  /** A request refused before it reached Apollo (body too large, bad JSON, wrong charset). */
  onRefused?: (status: number, reason: string) => void;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

class BodyTooLargeError extends Error {}

const cannotAnswer = (req: IncomingMessage) => req.socket.writableEnded || req.socket.destroyed;

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (declared > MAX_BODY_BYTES) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** "json" for a JSON body FleetQL can read, "charset" for JSON in another charset, else null. */
function jsonContentType(contentType: string | undefined): "json" | "charset" | null {
  if (!contentType) return null;
  const [type, ...params] = contentType.toLowerCase().split(";").map((part) => part.trim());
  if (type !== "application/json" && type !== "application/graphql-response+json") return null;
  const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length).replace(/"/g, "");
  return !charset || charset === "utf-8" || charset === "utf8" ? "json" : "charset";
}

export function createHttpHandler<TContext extends BaseContext>(options: HttpHandlerOptions<TContext>) {
  const { apollo, routes = {}, path: graphqlPath = GRAPHQL_PATH } = options;

  function requestError(res: ServerResponse, status: number, message: string): void {
    options.onRefused?.(status, message);
    sendJson(res, status, { errors: [{ message, extensions: { code: "BAD_REQUEST" } }] }, CORS_HEADERS);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // A draining server ends idle keep-alive sockets, yet may still parse a request the client
      // sent on one at that moment. No answer can reach that client, so nothing may be done for
      // it: a reading batch stored but never acknowledged would look lost to the device.
      if (cannotAnswer(req)) return void req.socket.destroy();
      const url = req.url ?? "/";
      const queryStart = url.indexOf("?");
      const path = queryStart === -1 ? url : url.slice(0, queryStart);
      const search = queryStart === -1 ? "" : url.slice(queryStart);

      if (path !== graphqlPath) {
        const route = routes[path];
        if (route) return await route(req, res);
        return sendJson(res, 404, { error: "not found", graphql: graphqlPath });
      }
      const method = (req.method ?? "GET").toUpperCase();
      if (method === "OPTIONS") {
        res.writeHead(204, CORS_HEADERS);
        return void res.end();
      }

      let body: unknown;
      if (method === "POST") {
        // Read as UTF-8 JSON, a compressed body would be refused as malformed; say what is wrong.
        const encoding = req.headers["content-encoding"]?.trim().toLowerCase();
        if (encoding && encoding !== "identity") {
          // The body is never read: close the connection rather than drain an unbounded one.
          res.setHeader("connection", "close");
          req.resume();
          return requestError(res, 415, `Request bodies with Content-Encoding ${encoding.slice(0, 32)} are not supported; send the body uncompressed.`);
        }
        let bytes: Buffer;
        try {
          bytes = await readBody(req);
        } catch (error) {
          if (error instanceof BodyTooLargeError) {
            res.setHeader("connection", "close");
            return requestError(res, 413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
          }
          throw error;
        }
        const kind = jsonContentType(req.headers["content-type"]);
        if (kind === "charset") return requestError(res, 415, "JSON request bodies must be UTF-8.");
        if (kind === "json") {
          // Decoding would turn malformed bytes into U+FFFD and store them as if sent.
          if (!isUtf8(bytes)) return requestError(res, 400, "Request body is not valid UTF-8.");
          try {
            body = JSON.parse(bytes.toString("utf8"));
          } catch {
            return requestError(res, 400, "Invalid JSON in request body.");
          }
        }
      }

      // Reading the body takes time; the socket may have been ended meanwhile.
      if (cannotAnswer(req)) return void req.socket.destroy();

      const headers = new HeaderMap();
      for (const name in req.headers) {
        const value = req.headers[name];
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const httpGraphQLRequest: HTTPGraphQLRequest = { method, headers, search, body };
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest,
        context: async () => options.context(req),
      });

      for (const name in CORS_HEADERS) res.setHeader(name, CORS_HEADERS[name]!);
      for (const [name, value] of response.headers) res.setHeader(name, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === "complete") return void res.end(response.body.string);
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      // A client that hung up mid-request is not FleetQL's failure; there is no one to answer.
      // (req.destroyed alone would not do: Node 20 sets it once a body has been read in full.)
      if (res.socket?.destroyed || (error as NodeJS.ErrnoException).code === "ECONNRESET") return void res.destroy();
      options.onError?.(error);
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
      else res.destroy();
    }
  };
}
