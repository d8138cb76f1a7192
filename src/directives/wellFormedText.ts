// Refuses arguments carrying text no database here can store (unpaired UTF-16 surrogates, NUL)
// before any resolver sees them, so that a database never gets to fail on it.
import { defaultFieldResolver, getNamedType, type GraphQLSchema } from "graphql";
import { MapperKind, mapSchema } from "@graphql-tools/utils";
import { badUserInput } from "../errors.js";
import { hasUnstorableText } from "../text.js";

// Passwords are only ever hashed, and JSON is stored with NUL escaped: both may hold NUL.
const HASHED_ARGUMENTS = new Set(["password", "current", "new"]);

export function applyWellFormedText(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => {
      if (!field.args || Object.keys(field.args).length === 0) return field;
      const nulAllowed = new Set(
        Object.entries(field.args)
          .filter(([name, arg]) => HASHED_ARGUMENTS.has(name) || getNamedType(arg.type).name === "JSON")
          .map(([name]) => name),
      );
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve(source, args: Record<string, unknown>, context, info) {
          for (const name in args) {
            if (hasUnstorableText(args[name], nulAllowed.has(name))) {
              throw badUserInput("Text arguments must be well-formed Unicode, without unpaired surrogates or NUL characters.");
            }
          }
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
