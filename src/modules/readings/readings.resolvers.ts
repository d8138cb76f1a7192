import type { Resolvers } from "../../generated/graphql.js";
import { authenticatedDevice } from "../../context.js";

export const readingsResolvers: Resolvers = {
  Mutation: {
    reportReadings: (_parent, { readings, batchId }, context) =>
      context.services.readings.report(authenticatedDevice(context), readings, batchId),
  },
  Device: {
    readings: (device, filter, { services }) => services.readings.list(device.id, filter),
  },
};
