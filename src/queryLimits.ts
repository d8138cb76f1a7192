// Limits on what one document may ask for. GraphQL Armor enforces the validation-time ones
// (depth, aliases, directives, cost); graphql's own parser counts tokens (Armor's token plugin
// for Apollo throws outside the request pipeline, which Apollo answers with 500); FleetQL adds
// a bound on the rows a document can return, since every connection's `first` multiplies
// the ones nested inside it.
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import { getVariableValues, GraphQLError, Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLSchema, type SelectionSetNode, getNamedType, isObjectType, isInterfaceType, type GraphQLObjectType, type GraphQLInterfaceType, valueFromAST } from "graphql";

export const QUERY_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 50,
  maxTokens: 2000,
  /** Rows one document may return, counting nested connections multiplied out. */
  maxNodes: 10_000,
} as const;

export function armor(production: boolean) {
  return new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth, flattenFragments: true },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    maxTokens: { enabled: false },
    // Armor's cost multiplies literal `first` values by depth and ignores variables: it refused
    // ordinary queries while letting variables through. The rows bound below is FleetQL's cost limit.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: production },
  }).protect();
}

type Composite = GraphQLObjectType | GraphQLInterfaceType;

/** The most rows the operation can return, with every `first` at its given or default value. */
export function estimateNodes(
  selectionSet: SelectionSetNode,
  type: Composite,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: () => Record<string, unknown>,
  schema: GraphQLSchema,
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      total += fieldNodes(selection, type, fragments, variables, schema);
    } else {
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments[selection.name.value] : selection;
      if (!fragment) continue;
      const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : type;
      if (condition && (isObjectType(condition) || isInterfaceType(condition))) {
        total += estimateNodes(fragment.selectionSet, condition, fragments, variables, schema);
      }
    }
  }
  return total;
}

/** Rows under one field: a connection's `first` counts its rows and multiplies what they hold. */
function fieldNodes(field: FieldNode, parent: Composite, fragments: Record<string, FragmentDefinitionNode>, variables: () => Record<string, unknown>, schema: GraphQLSchema): number {
  const definition = parent.getFields()[field.name.value];
  if (!definition || !field.selectionSet) return 0;
  const child = getNamedType(definition.type);
  if (!isObjectType(child) && !isInterfaceType(child)) return 0;
  const inner = estimateNodes(field.selectionSet, child, fragments, variables, schema);
  const firstArg = definition.args.find((arg) => arg.name === "first");
  if (!firstArg) return inner;
  const given = field.arguments?.find((arg) => arg.name.value === "first");
  // An absent or null `first` means the argument's default, as the services read it.
  const value = given ? valueFromAST(given.value, firstArg.type, given.value.kind === Kind.VARIABLE ? variables() : undefined) : undefined;
  const effective = value ?? firstArg.defaultValue;
  const rows = typeof effective === "number" && effective > 0 ? effective : 1;
  return rows + rows * inner;
}

/** Thrown out of the estimate when the variables do not coerce: execution reports why. */
const VARIABLES_INVALID = Symbol("variables invalid");

export function maxNodesPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, schema }) {
          if (!operation) return;
          if (operation.operation === "subscription") {
            throw new GraphQLError("FleetQL has no subscriptions.", { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });
          }
          const root = operation.operation === "mutation" ? schema.getMutationType() : schema.getQueryType();
          if (!root) return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
          // Variables as execution will see them (defaults applied, values coerced), and only
          // when a `first` names one: coercing a 1,000-reading batch twice costs a tenth of the call.
          let coerced: Record<string, unknown> | undefined;
          const variables = () => {
            if (coerced) return coerced;
            const result = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
            if (result.errors) throw VARIABLES_INVALID;
            return (coerced = result.coerced);
          };
          let nodes: number;
          try {
            nodes = estimateNodes(operation.selectionSet, root, fragments, variables, schema);
          } catch (error) {
            if (error === VARIABLES_INVALID) return; // execution reports them
            throw error;
          }
          if (nodes > QUERY_LIMITS.maxNodes) {
            throw new GraphQLError(`This query could return ${nodes} rows; the limit is ${QUERY_LIMITS.maxNodes}. Ask for smaller pages.`, {
              extensions: { code: "BAD_USER_INPUT", http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
