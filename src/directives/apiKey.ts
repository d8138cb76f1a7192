// @apiKey: the field belongs to a device. The key comes from the field's own `apiKey`
// argument (so every aliased field is checked on its own) and is verified before the
// resolver runs; the resolver then receives the authenticated device in its context.
// An address whose keys keep being refused is slowed down: once its budget of refusals is
// spent, only keys already known good on this instance are served until it refills, so a
// key sprayer costs neither database look-ups nor the devices behind the same address.
import { defaultFieldResolver, type GraphQLSchema } from "graphql";
import { MapperKind, getDirective, mapSchema } from "@graphql-tools/utils";
import type { Context } from "../context.js";
import { apiKeyRequired, invalidApiKey } from "../errors.js";
import { enforce, rateLimited } from "../rateLimit.js";

export function applyApiKeyDirective(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => {
      if (!getDirective(schema, field, "apiKey")?.[0]) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        async resolve(source, args: { apiKey?: unknown }, context: Context, info) {
          const key = args.apiKey;
          const { apiKeys, limits, keyRefusals, metrics } = context.services;
          context.caller = "device";
          if (typeof key !== "string" || key.trim() === "") {
            metrics.keyChecked("missing");
            throw apiKeyRequired();
          }
          const slowedFor = await limits.refusedKeys.peek(context.clientAddress);
          const check = await apiKeys.check(key, slowedFor > 0);
          if (!check.device) {
            if ("unchecked" in check) {
              metrics.keyChecked("slowed");
              throw rateLimited(slowedFor);
            }
            metrics.keyChecked("invalid");
            if (check.ended) keyRefusals.record(check.ended);
            await limits.refusedKeys.take(context.clientAddress);
            throw invalidApiKey();
          }
          metrics.keyChecked("valid");
          await enforce(limits.device, check.device.id);
          return resolve(source, args, { ...context, device: check.device }, info);
        },
      };
    },
  });
}
