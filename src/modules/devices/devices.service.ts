import { randomUUID } from "node:crypto";
import type { Device, PrismaClient } from "../../generated/prisma/client.js";
import { mintApiKey } from "../../auth/apiKeys.js";
import { KEY_EVENT, type ApiKeyVerifier, type AuthenticatedDevice } from "../../auth/apiKeyVerifier.js";
import { badUserInput, fleetError, isUniqueViolation, notFound } from "../../errors.js";
import { CONTROL_CHARACTER } from "../../text.js";
import { checkPageSize, decodeCursor, toConnection, type Connection } from "../../pagination.js";
import type { Clock } from "../../services.js";
import type { DeviceActivityBuffer } from "./deviceActivity.js";

export const DEVICE_NAME_MAX_LENGTH = 100;
export const STATUS_MAX_BYTES = 16 * 1024;
export const STATUS_MAX_DEPTH = 32;

/** How deep a JSON value nests, found without recursion. */
function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > STATUS_MAX_DEPTH) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export interface DeviceWithKey {
  device: Device;
  apiKey: string;
}

/** Trimmed and in Unicode NFC, so that names that look the same are the same name. */
function checkDeviceName(name: string): string {
  const normalized = name.normalize("NFC").trim();
  const length = [...normalized].length;
  if (length < 1 || length > DEVICE_NAME_MAX_LENGTH) {
    throw badUserInput(`Device name must be 1 to ${DEVICE_NAME_MAX_LENGTH} characters after trimming.`);
  }
  if (CONTROL_CHARACTER.test(normalized)) throw badUserInput("Device name must not contain control or invisible formatting characters.");
  return normalized;
}

export function createDevicesService(prisma: PrismaClient, keys: ApiKeyVerifier, activity: DeviceActivityBuffer, clock: Clock) {
  const present = (device: Device) => activity.overlay(device);

  async function ownedDevice(ownerId: string, id: string): Promise<Device> {
    const device = await prisma.device.findFirst({ where: { id, ownerId } });
    if (!device) throw notFound("Device");
    return device;
  }

  return {
    async add(ownerId: string, name: string): Promise<DeviceWithKey> {
      const minted = mintApiKey();
      try {
        // The unique (ownerId, name) index decides between concurrent duplicates.
        const now = clock.now();
        const id = randomUUID();
        const [device] = await prisma.$transaction([
          prisma.device.create({
            data: { id, ownerId, name: checkDeviceName(name), keyHash: minted.keyHash, keyPrefix: minted.keyPrefix, createdAt: now },
          }),
          prisma.keyEvent.create({ data: { deviceId: id, kind: KEY_EVENT.created, at: now } }),
        ]);
        return { device, apiKey: minted.key };
      } catch (error) {
        if (isUniqueViolation(error)) throw fleetError("DEVICE_NAME_TAKEN", "You already have a device with that name.");
        throw error;
      }
    },

    async rotateKey(ownerId: string, id: string): Promise<DeviceWithKey> {
      const current = await ownedDevice(ownerId, id);
      if (current.revokedAt) throw badUserInput("This device is revoked; add a new device instead.");
      const minted = mintApiKey();
      const [updated] = await prisma.$transaction([
        prisma.device.updateMany({
          where: { id, ownerId, keyHash: current.keyHash, revokedAt: null },
          data: { keyHash: minted.keyHash, keyPrefix: minted.keyPrefix },
        }),
        prisma.keyEvent.create({ data: { deviceId: id, kind: KEY_EVENT.rotated, at: clock.now() } }),
      ]);
      keys.forgetDevice(id);
      // Another rotation or a revocation won the race: report that state instead.
      if (updated.count === 0) throw badUserInput("The device changed while rotating its key; try again.");
      return { device: present(await ownedDevice(ownerId, id)), apiKey: minted.key };
    },

    async revoke(ownerId: string, id: string): Promise<Device> {
      const current = await ownedDevice(ownerId, id);
      if (current.revokedAt) return present(current);
      const now = clock.now();
      await prisma.$transaction([
        prisma.device.updateMany({ where: { id, ownerId, revokedAt: null }, data: { revokedAt: now } }),
        prisma.keyEvent.create({ data: { deviceId: id, kind: KEY_EVENT.revoked, at: now } }),
      ]);
      // Evicts by device, not by the key read above: a rotation in between changed the key.
      keys.forgetDevice(id);
      return present(await ownedDevice(ownerId, id));
    },

    async get(ownerId: string, id: string): Promise<Device | null> {
      const device = await prisma.device.findFirst({ where: { id, ownerId } });
      return device && present(device);
    },

    async list(ownerId: string, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Device>> {
      const size = checkPageSize(first, 20);
      const position = decodeCursor(after);
      const rows = await prisma.device.findMany({
        where: {
          ownerId,
          ...(position && {
            OR: [{ createdAt: { gt: position.at } }, { createdAt: position.at, id: { gt: position.id } }],
          }),
        },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: size + 1,
      });
      return toConnection(rows.map(present), size, (d) => ({ at: d.createdAt, id: d.id }));
    },

    heartbeat(device: AuthenticatedDevice, status: unknown): { deviceId: string; serverTime: Date } {
      let statusText: string | null | undefined;
      if (status !== undefined) {
        // Checked before stringifying: JSON.stringify recurses and a deep document would overflow the stack.
        if (jsonDepth(status) > STATUS_MAX_DEPTH) throw badUserInput(`status may nest at most ${STATUS_MAX_DEPTH} levels.`);
        statusText = status === null ? null : JSON.stringify(status);
        if (statusText !== null && Buffer.byteLength(statusText) > STATUS_MAX_BYTES) {
          throw badUserInput(`status must be at most ${STATUS_MAX_BYTES} bytes of JSON.`);
        }
      }
      const now = clock.now();
      activity.record(device.id, now, statusText);
      return { deviceId: device.id, serverTime: now };
    },
  };
}

export type DevicesService = ReturnType<typeof createDevicesService>;
