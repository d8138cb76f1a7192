// graphql-scalars' JSON, refusing what JSON cannot hold instead of dropping it: an enum value
// written inline (`status: { mode: ECO }`) would otherwise vanish from the stored document
// without a word, and the device would never know.
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { JSONResolver } from "graphql-scalars";

function refuseEnumValues(ast: ValueNode): void {
  if (ast.kind === Kind.ENUM) throw new GraphQLError(`JSON cannot hold the bare word ${ast.value}: quote it as a string.`);
  if (ast.kind === Kind.OBJECT) for (const field of ast.fields) refuseEnumValues(field.value);
  if (ast.kind === Kind.LIST) for (const value of ast.values) refuseEnumValues(value);
}

const scalarsParseLiteral = JSONResolver.parseLiteral.bind(JSONResolver);

export const JsonScalar = new GraphQLScalarType({
  ...JSONResolver.toConfig(),
  parseLiteral(ast, variables) {
    refuseEnumValues(ast);
    return scalarsParseLiteral(ast, variables);
  },
});
