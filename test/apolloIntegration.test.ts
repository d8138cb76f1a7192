// FleetQL serves Apollo Server through its own node:http integration, so that integration
// must pass Apollo's own suite for HTTP integrations.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type BaseContext } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { defineIntegrationTestSuite } from "@apollo/server-integration-testsuite";
import { createHttpHandler } from "../src/http/nodeHttpHandler.js";

defineIntegrationTestSuite(async (serverOptions, testOptions) => {
  const httpServer = http.createServer();
  const server = new ApolloServer<BaseContext>({
    ...serverOptions,
    plugins: [...(serverOptions.plugins ?? []), ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await server.start();
  httpServer.on(
    "request",
    createHttpHandler({
      apollo: server,
      path: "/",
      context: async () => (testOptions?.context ? testOptions.context() : {}),
    }),
  );
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
});
