import type { KeyEventKind, Resolvers } from "../../generated/graphql.js";
import { authenticatedDevice } from "../../context.js";

export const devicesResolvers: Resolvers = {
  Query: {
    devices: (_parent, { first, after }, { userId, services }) => services.devices.list(userId!, first, after),
    device: (_parent, { id }, { userId, services }) => services.devices.get(userId!, id),
  },
  Mutation: {
    addDevice: (_parent, { name, expiresAt }, { userId, services }) => services.devices.add(userId!, name, expiresAt),
    rotateDeviceKey: (_parent, { id, graceSeconds, expiresAt }, { userId, services }) => services.devices.rotateKey(userId!, id, graceSeconds, expiresAt),
    revokeDevice: (_parent, { id }, { userId, services }) => services.devices.revoke(userId!, id),
    heartbeat: (_parent, args, context) => context.services.devices.heartbeat(authenticatedDevice(context), args.status),
  },
  Device: {
    status: (device) => (device.status === null ? null : JSON.parse(device.status)),
    keys: (device, _args, { services }) => services.devices.workingKeys(device),
    keyEvents: (device, { first, after }, { services }) => services.devices.keyEvents(device, first, after),
  },
  KeyEvent: {
    kind: (entry) => entry.kind.toUpperCase() as KeyEventKind,
  },
};
