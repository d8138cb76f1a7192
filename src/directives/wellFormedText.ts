// Refuses arguments carrying unpaired UTF-16 surrogates (JSON allows "\ud800"; no database
// stores it faithfully, and Prisma fails on it) before any resolver sees them.
import { defaultFieldResolver, type GraphQLSchema } from "graphql";
import { MapperKind, mapSchema } from "@graphql-tools/utils";
import { badUserInput } from "../errors.js";
import { hasLoneSurrogate } from "../text.js";

export function applyWellFormedText(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => {
      if (!field.args || Object.keys(field.args).length === 0) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve(source, args, context, info) {
          if (hasLoneSurrogate(args)) throw badUserInput("Text arguments must be well-formed Unicode (no unpaired surrogates).");
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
