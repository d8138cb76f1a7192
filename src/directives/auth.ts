// @auth: the field needs a person. The context already parsed the JWT (or recorded why
// it was refused); this only decides, before the resolver runs.
import { defaultFieldResolver, type GraphQLSchema } from "graphql";
import { MapperKind, getDirective, mapSchema } from "@graphql-tools/utils";
import type { Context } from "../context.js";
import { unauthenticated } from "../errors.js";

export function applyAuthDirective(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => {
      if (!getDirective(schema, field, "auth")?.[0]) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        async resolve(source, args, context: Context, info) {
          if (context.userId === null) throw context.authError ?? unauthenticated();
          // A password change (or a deleted account) ends every session issued before it.
          if (!(await context.services.users.isSessionCurrent(context.userId, context.tokenVersion))) {
            throw unauthenticated("This session has ended; log in again.");
          }
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
