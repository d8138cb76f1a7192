import type { Resolvers } from "../../generated/graphql.js";
import { authenticatedDevice } from "../../context.js";

export const devicesResolvers: Resolvers = {
  Query: {
    devices: (_parent, { first, after }, { userId, services }) => services.devices.list(userId!, first, after),
    device: (_parent, { id }, { userId, services }) => services.devices.get(userId!, id),
  },
  Mutation: {
    addDevice: (_parent, { name }, { userId, services }) => services.devices.add(userId!, name),
    rotateDeviceKey: (_parent, { id }, { userId, services }) => services.devices.rotateKey(userId!, id),
    revokeDevice: (_parent, { id }, { userId, services }) => services.devices.revoke(userId!, id),
    heartbeat: (_parent, args, context) => context.services.devices.heartbeat(authenticatedDevice(context), args.status),
  },
  Device: {
    status: (device) => (device.status === null ? null : JSON.parse(device.status)),
  },
};
