import { randomUUID } from "node:crypto";
import type { ApiKey, Device, Prisma, PrismaClient } from "../../generated/prisma/client.js";
import { mintApiKey, type MintedKey } from "../../auth/apiKeys.js";
import type { KeyRefusalCounter } from "../../auth/keyRefusals.js";
import { KEY_EVENT, type ApiKeyVerifier, type AuthenticatedDevice } from "../../auth/apiKeyVerifier.js";
import { badUserInput, fleetError, isUniqueViolation, notFound } from "../../errors.js";
import { CONTROL_CHARACTER, hasVisibleCharacter, normalizeText } from "../../text.js";
import { retryingConflicts } from "../../db/conflicts.js";
import { checkInstant } from "../../instants.js";
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

/** KeyEvent ids are 32-bit integers on PostgreSQL. */
const KEY_EVENT_ID_MAX = 2_147_483_647;
const MAX_ROTATION_ATTEMPTS = 20;
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;
const REFUSED = "refused";
/** "deleted" only tells other instances; its device is gone. */
const SHOWN_EVENTS = [KEY_EVENT.created, KEY_EVENT.rotated, KEY_EVENT.graceEnded, KEY_EVENT.expired, KEY_EVENT.revoked];

export interface KeyHistoryEntry {
  kind: string;
  at: Date;
  keyPrefix: string | null;
  count: number;
  sortId: string;
}

function checkExpiry(expiresAt: Date | null | undefined, now: Date): void {
  checkInstant("expiresAt", expiresAt);
  if (expiresAt && expiresAt <= now) throw badUserInput("expiresAt must be in the future.");
}

/** Keys whose expiry and rotation end are both still ahead (the device's revocation aside). */
function workingAt(now: Date) {
  return { AND: [{ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }, { OR: [{ endsAt: null }, { endsAt: { gt: now } }] }] };
}

/**
 * Working keys, newest first. Two keys can share a createdAt millisecond, so the order rests
 * on what rotations write: the newest key alone has no end, and an earlier one ends later
 * the newer it is. createdAt only separates keys whose ends are equal.
 */
const NEWEST_KEY_FIRST: Prisma.ApiKeyOrderByWithRelationInput[] = [{ endsAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }];

function newKey(deviceId: string, minted: MintedKey, now: Date, expiresAt: Date | null | undefined): ApiKey {
  return { id: randomUUID(), deviceId, keyHash: minted.keyHash, keyPrefix: minted.keyPrefix, createdAt: now, expiresAt: expiresAt ?? null, endsAt: null };
}

function event(key: ApiKey, kind: string, at: Date) {
  return { deviceId: key.deviceId, apiKeyId: key.id, keyPrefix: key.keyPrefix, kind, at };
}

/** The expiry is written ahead, dated when it happens, and shown from then on. */
function expiryEvents(key: ApiKey) {
  return key.expiresAt ? [event(key, KEY_EVENT.expired, key.expiresAt)] : [];
}

export interface DeviceWithKey {
  device: Device;
  apiKey: string;
}

/** Trimmed and in Unicode NFC, so that names that look the same are the same name. */
function checkDeviceName(name: string): string {
  const normalized = normalizeText(name);
  const length = [...normalized].length;
  if (length < 1 || length > DEVICE_NAME_MAX_LENGTH) {
    throw badUserInput(`Device name must be 1 to ${DEVICE_NAME_MAX_LENGTH} characters after trimming.`);
  }
  if (CONTROL_CHARACTER.test(normalized)) throw badUserInput("Device name must not contain control or invisible formatting characters.");
  if (!hasVisibleCharacter(normalized)) throw badUserInput("Device name must contain a visible character.");
  return normalized;
}

export function createDevicesService(prisma: PrismaClient, keys: ApiKeyVerifier, refusals: KeyRefusalCounter, activity: DeviceActivityBuffer, clock: Clock) {
  const present = (device: Device) => activity.overlay(device);

  async function ownedDevice(ownerId: string, id: string): Promise<Device> {
    const device = await prisma.device.findFirst({ where: { id, ownerId } });
    if (!device) throw notFound("Device");
    return device;
  }

  return {
    async add(ownerId: string, name: string, expiresAt?: Date | null): Promise<DeviceWithKey> {
      const now = clock.now();
      const checkedName = checkDeviceName(name);
      checkExpiry(expiresAt, now);
      const minted = mintApiKey();
      const id = randomUUID();
      const key = newKey(id, minted, now, expiresAt);
      try {
        // The unique (ownerId, name) index decides between concurrent duplicates.
        const [device] = await retryingConflicts(() =>
          prisma.$transaction([
            prisma.device.create({ data: { id, ownerId, name: checkedName, keyPrefix: minted.keyPrefix, createdAt: now } }),
            prisma.apiKey.create({ data: key }),
            prisma.keyEvent.createMany({ data: [event(key, KEY_EVENT.created, now), ...expiryEvents(key)] }),
          ]),
        );
        return { device, apiKey: minted.key };
      } catch (error) {
        if (isUniqueViolation(error)) throw fleetError("DEVICE_NAME_TAKEN", "You already have a device with that name.");
        throw error;
      }
    },

    /**
     * Issues a new key. The newest working key keeps working `graceSeconds` longer (or until
     * its own expiry, if sooner); an older key still in an earlier grace period stops now, so a
     * device never holds more than two working keys.
     */
    async rotateKey(ownerId: string, id: string, graceSeconds: number | null | undefined, expiresAt?: Date | null): Promise<DeviceWithKey> {
      const grace = graceSeconds ?? 0;
      if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
        throw badUserInput(`graceSeconds must be from 0 to ${MAX_GRACE_SECONDS} (7 days).`);
      }
      checkExpiry(expiresAt, clock.now());
      // A concurrent rotation that claimed the device first makes this one look again and go
      // after it, as if the two had come one after the other.
      for (let attempt = 1; ; attempt++) {
        const now = clock.now();
        const current = await ownedDevice(ownerId, id);
        if (current.revokedAt) throw badUserInput("This device is revoked; add a new device instead.");
        const minted = mintApiKey();
        const key = newKey(id, minted, now, expiresAt);
        const won = await retryingConflicts(() =>
          prisma.$transaction(async (tx) => {
            // Claims the device against a concurrent rotation or revocation: only one of them
            // finds the key prefix it read.
            const claimed = await tx.device.updateMany({
              where: { id, ownerId, keyPrefix: current.keyPrefix, revokedAt: null },
              data: { keyPrefix: minted.keyPrefix },
            });
            if (claimed.count === 0) return false;
            const [newest, ...older] = await tx.apiKey.findMany({ where: { deviceId: id, ...workingAt(now) }, orderBy: NEWEST_KEY_FIRST });
            const ends = [
              ...(newest ? [{ key: newest, at: new Date(now.getTime() + grace * 1000) }] : []),
              ...older.map((key) => ({ key, at: now })),
            ];
            for (const { key: ended, at } of ends) {
              // A key's expiry before the end of its grace period stays what ends it.
              if (ended.expiresAt && ended.expiresAt <= at) continue;
              await tx.apiKey.update({ where: { id: ended.id }, data: { endsAt: at } });
              await tx.keyEvent.deleteMany({ where: { apiKeyId: ended.id, at: { gt: now } } });
              // With no grace the rotation itself is the end; otherwise the end is an event of its own.
              if (at > now || ended !== newest) await tx.keyEvent.create({ data: event(ended, KEY_EVENT.graceEnded, at) });
            }
            await tx.apiKey.create({ data: key });
            await tx.keyEvent.createMany({ data: [event(key, KEY_EVENT.rotated, now), ...expiryEvents(key)] });
            return true;
          }),
        );
        if (won) {
          keys.keysChanged(id);
          return { device: present(await ownedDevice(ownerId, id)), apiKey: minted.key };
        }
        if (attempt >= MAX_ROTATION_ATTEMPTS) throw badUserInput("The device kept changing while rotating its key; try again.");
      }
    },

    async revoke(ownerId: string, id: string): Promise<Device> {
      const current = await ownedDevice(ownerId, id);
      if (current.revokedAt) return present(current);
      const now = clock.now();
      await retryingConflicts(() => prisma.$transaction(async (tx) => {
        // Of concurrent revocations only the one that sets revokedAt writes the history.
        const revoked = await tx.device.updateMany({ where: { id, ownerId, revokedAt: null }, data: { revokedAt: now } });
        if (revoked.count === 0) return;
        // Expiries and grace periods still ahead will never come: the keys end now.
        await tx.keyEvent.deleteMany({ where: { deviceId: id, at: { gt: now } } });
        await tx.keyEvent.create({ data: { deviceId: id, kind: KEY_EVENT.revoked, at: now } });
      }));
      // Evicts by device, not by the key read above: a rotation in between changed the key.
      keys.keysChanged(id);
      return present(await ownedDevice(ownerId, id));
    },

    /** The device's working keys, newest first. */
    async workingKeys(device: Device): Promise<ApiKey[]> {
      if (device.revokedAt) return [];
      return prisma.apiKey.findMany({ where: { deviceId: device.id, ...workingAt(clock.now()) }, orderBy: NEWEST_KEY_FIRST });
    },

    /** The device's key history, newest first, refused calls counted per key and hour among it. */
    async keyEvents(device: Device, first: number | null | undefined, after: string | null | undefined): Promise<Connection<KeyHistoryEntry>> {
      const size = checkPageSize(first, 50);
      const position = decodeCursor(after);
      // Counts still in memory belong in the answer.
      await refusals.flush();
      const now = clock.now();
      const before = (field: "at" | "hour", tieField: "id" | "apiKeyId", tie: number | string | null | "all") =>
        position && {
          OR: [
            { [field]: tie === "all" ? { lte: position.at } : { lt: position.at } },
            ...(tie === null || tie === "all" ? [] : [{ [field]: position.at, [tieField]: { lt: tie } }]),
          ],
        };
      // Within one instant refusals come before events: "r…" sorts after "e…" in the cursor, so
      // after a refusal every event of its instant is still to come.
      if (position && !/^(r.+|e\d{1,15})$/.test(position.id)) throw badUserInput("Invalid cursor in `after`.");
      const eventTie = position === null ? null : position.id.startsWith("r") ? "all" : Number(position.id.slice(1));
      if (typeof eventTie === "number" && eventTie > KEY_EVENT_ID_MAX) throw badUserInput("Invalid cursor in `after`.");
      const refusalTie = position === null ? null : position.id.startsWith("r") ? position.id.slice(1) : null;
      const [events, refused] = await Promise.all([
        prisma.keyEvent.findMany({
          where: { deviceId: device.id, kind: { in: SHOWN_EVENTS }, at: { lte: now }, ...before("at", "id", eventTie) },
          orderBy: [{ at: "desc" }, { id: "desc" }],
          take: size + 1,
        }),
        prisma.keyRefusal.findMany({
          where: { deviceId: device.id, ...before("hour", "apiKeyId", refusalTie) },
          orderBy: [{ hour: "desc" }, { apiKeyId: "desc" }],
          take: size + 1,
          include: { apiKey: { select: { keyPrefix: true } } },
        }),
      ]);
      const entries: KeyHistoryEntry[] = [
        ...events.map((e) => ({ kind: e.kind, at: e.at, keyPrefix: e.keyPrefix, count: 1, sortId: `e${String(e.id).padStart(15, "0")}` })),
        ...refused.map((r) => ({ kind: REFUSED, at: r.hour, keyPrefix: r.apiKey.keyPrefix, count: r.count, sortId: `r${r.apiKeyId}` })),
      ].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.sortId < b.sortId ? 1 : a.sortId > b.sortId ? -1 : 0));
      return toConnection(entries, size, (entry) => ({ at: entry.at, id: entry.sortId }));
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
