// Builds the executable schema once: SDL from every module, resolvers, then the auth
// directives, refusing any schema in which a field could escape its auth decision.
import fs from "node:fs";
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { makeExecutableSchema } from "@graphql-tools/schema";
import { EmailAddressResolver } from "graphql-scalars";
import { DateTimeScalar } from "./dateTime.js";
import { JsonScalar } from "./json.js";
import type { Resolvers } from "../generated/graphql.js";
import { PROJECT_ROOT } from "../projectRoot.js";
import { applyApiKeyDirective } from "../directives/apiKey.js";
import { applyAuthDirective } from "../directives/auth.js";
import { checkAuthCoverage } from "../directives/coverage.js";
import { applyWellFormedText } from "../directives/wellFormedText.js";
import { devicesResolvers } from "../modules/devices/devices.resolvers.js";
import { readingsResolvers } from "../modules/readings/readings.resolvers.js";
import { usersResolvers } from "../modules/users/users.resolvers.js";

const SRC = path.join(PROJECT_ROOT, "src");
const SDL_FILES = ["schema/base.graphql", "modules/users/users.graphql", "modules/devices/devices.graphql", "modules/readings/readings.graphql"];

export const typeDefs: string[] = SDL_FILES.map((file) => fs.readFileSync(path.join(SRC, file), "utf8"));

const scalarResolvers: Resolvers = { DateTime: DateTimeScalar, EmailAddress: EmailAddressResolver, JSON: JsonScalar };

export const resolvers: Resolvers[] = [scalarResolvers, usersResolvers, devicesResolvers, readingsResolvers];

export function buildSchema(sdl: string[] = typeDefs, resolverMaps: Resolvers[] = resolvers): GraphQLSchema {
  const schema = makeExecutableSchema({ typeDefs: sdl, resolvers: resolverMaps as never });
  checkAuthCoverage(schema);
  // Applied innermost first: the auth directives decide before any argument is walked, so a
  // malformed key is INVALID_API_KEY, and a stranger's large document costs nothing more.
  return applyApiKeyDirective(applyAuthDirective(applyWellFormedText(schema)));
}
