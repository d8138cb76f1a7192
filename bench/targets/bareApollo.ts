// Baseline 2: the framework's limit, Apollo Server's fastest stock deployment
// (startStandaloneServer) answering a constant mutation.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const typeDefs = `#graphql
  type Query { ok: Boolean }
  type HeartbeatPayload { deviceId: ID! serverTime: String! }
  type Mutation { heartbeat(apiKey: String!): HeartbeatPayload! }
`;
const resolvers = {
  Mutation: { heartbeat: () => ({ deviceId: "00000000-0000-0000-0000-000000000000", serverTime: "2026-01-01T00:00:00.000Z" }) },
};
const server = new ApolloServer({ typeDefs, resolvers });
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
console.log(`listening ${url}`);
