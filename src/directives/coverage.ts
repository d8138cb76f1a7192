// Refuses a schema in which a device field could run unchecked or a root field has no
// explicit auth decision (in the manner of RedwoodJS's @requireAuth/@skipAuth check).
import { isNonNullType, isScalarType, type GraphQLField, type GraphQLSchema } from "graphql";
import { getDirective } from "@graphql-tools/utils";

export const AUTH_DIRECTIVES = ["auth", "apiKey", "public"] as const;

export class SchemaCoverageError extends Error {
  constructor(readonly problems: string[]) {
    super(`schema refused: ${problems.join("; ")}`);
    this.name = "SchemaCoverageError";
  }
}

function has(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>, name: string): boolean {
  return Boolean(getDirective(schema, field, name)?.[0]);
}

export function checkAuthCoverage(schema: GraphQLSchema): void {
  const problems: string[] = [];
  const rootTypes = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);

  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || !("getFields" in type) || !("getInterfaces" in type)) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      const where = `${type.name}.${field.name}`;
      const keyArg = field.args.find((arg) => arg.name === "apiKey");
      const guardedByKey = has(schema, field, "apiKey");

      if (keyArg && !guardedByKey) problems.push(`${where} has an apiKey argument but no @apiKey`);
      if (guardedByKey && !keyArg) problems.push(`${where} has @apiKey but no apiKey argument`);
      if (guardedByKey && keyArg && !(isNonNullType(keyArg.type) && isScalarType(keyArg.type.ofType) && keyArg.type.ofType.name === "String")) {
        problems.push(`${where} must declare its apiKey argument as String!`);
      }

      if (rootTypes.has(type as never)) {
        const decisions = AUTH_DIRECTIVES.filter((name) => has(schema, field, name));
        if (decisions.length === 0) problems.push(`${where} has no auth decision (@auth, @apiKey or @public)`);
        if (decisions.length > 1) problems.push(`${where} has conflicting auth decisions (${decisions.map((d) => `@${d}`).join(", ")})`);
      }
    }
  }
  if (problems.length > 0) throw new SchemaCoverageError(problems);
}
