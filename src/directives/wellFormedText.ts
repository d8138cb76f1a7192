// Refuses arguments carrying text no database here can store (unpaired UTF-16 surrogates, NUL)
// before any resolver sees them, so that a database never gets to fail on it.
import { defaultFieldResolver, type GraphQLSchema } from "graphql";
import { MapperKind, mapSchema } from "@graphql-tools/utils";
import { badUserInput } from "../errors.js";
import { hasUnstorableText } from "../text.js";

export function applyWellFormedText(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => {
      if (!field.args || Object.keys(field.args).length === 0) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve(source, args, context, info) {
          if (hasUnstorableText(args)) throw badUserInput("Text arguments must be well-formed Unicode, without unpaired surrogates or NUL characters.");
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
