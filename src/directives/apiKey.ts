// @apiKey: the field belongs to a device. The key comes from the field's own `apiKey`
// argument (so every aliased field is checked on its own) and is verified before the
// resolver runs; the resolver then receives the authenticated device in its context.
import { defaultFieldResolver, type GraphQLSchema } from "graphql";
import { MapperKind, getDirective, mapSchema } from "@graphql-tools/utils";
import type { Context } from "../context.js";
import { apiKeyRequired, invalidApiKey } from "../errors.js";
import { enforce } from "../rateLimit.js";

export function applyApiKeyDirective(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => {
      if (!getDirective(schema, field, "apiKey")?.[0]) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        async resolve(source, args: { apiKey?: unknown }, context: Context, info) {
          const key = args.apiKey;
          if (typeof key !== "string" || key.trim() === "") throw apiKeyRequired();
          const device = await context.services.apiKeys.verify(key);
          if (!device) throw invalidApiKey();
          enforce(context.services.limits.device, device.id);
          return resolve(source, args, { ...context, device }, info);
        },
      };
    },
  });
}
