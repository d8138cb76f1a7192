// Verifies device keys with no database round trip once warm. The cache maps a key's
// digest to its device. A rotation or revocation on this instance evicts the device at
// once; one on another instance reaches this one through the KeyEvent table, polled every
// `pollMs`. A generation counter keeps a look-up that raced with an eviction from caching
// what it read before the eviction.
import type { PrismaClient } from "../generated/prisma/client.js";
import { digestsEqual, hashApiKey, isWellFormedApiKey } from "./apiKeys.js";

export interface AuthenticatedDevice {
  id: string;
  ownerId: string;
}

/** KeyEvent kinds. "created" and "rotated" record keys issued; the rest keys that stopped working. */
export const KEY_EVENT = { created: "created", rotated: "rotated", revoked: "revoked", deleted: "deleted" } as const;

const STALE_POLL_SLACK_MS = 1000;

export class ApiKeyVerifier {
  private readonly cache = new Map<string, AuthenticatedDevice>();
  private readonly keyOfDevice = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<AuthenticatedDevice | null>>();
  private generation = 0;
  private lastEventId: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** When the last poll succeeded; null while not watching (a single instance needs no poll). */
  private lastPollAt: number | null = null;
  private pollMs = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly maxEntries = 100_000,
  ) {}

  /** The device the key belongs to, or null for any key that must be refused. */
  verify(key: string): AuthenticatedDevice | null | Promise<AuthenticatedDevice | null> {
    if (!isWellFormedApiKey(key)) return null;
    const keyHash = hashApiKey(key);
    const cached = this.cache.get(keyHash);
    // Trust the cache only while polls succeed: otherwise another instance's revocation
    // would go unseen, so every call asks the database until polling recovers.
    if (cached && (this.lastPollAt === null || Date.now() - this.lastPollAt < this.pollMs + STALE_POLL_SLACK_MS)) return cached;
    let pending = this.inFlight.get(keyHash);
    if (!pending) {
      pending = this.load(keyHash).finally(() => this.inFlight.delete(keyHash));
      this.inFlight.set(keyHash, pending);
    }
    return pending;
  }

  /** Stops every key of the device from verifying on this instance until it is looked up again. */
  forgetDevice(deviceId: string): void {
    this.generation++;
    const keyHash = this.keyOfDevice.get(deviceId);
    this.keyOfDevice.delete(deviceId);
    if (keyHash) this.cache.delete(keyHash);
    this.inFlight.clear();
  }

  /** Follows key changes made by other instances; resolves once the starting point is known. */
  async watch(pollMs: number, onError: (error: unknown) => void): Promise<void> {
    const last = await this.prisma.keyEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
    this.lastEventId = last?.id ?? 0;
    this.pollMs = pollMs;
    this.lastPollAt = Date.now();
    this.timer = setInterval(() => void this.poll().catch(onError), pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Evicts the devices whose keys changed since the last poll. */
  async poll(): Promise<void> {
    if (this.lastEventId === null) return;
    const events = await this.prisma.keyEvent.findMany({
      where: { id: { gt: this.lastEventId } },
      orderBy: { id: "asc" },
      select: { id: true, deviceId: true, kind: true },
      take: 10_000,
    });
    // A new device's key was never cached anywhere; every other kind ends a key.
    for (const event of events) if (event.kind !== KEY_EVENT.created) this.forgetDevice(event.deviceId);
    if (events.length > 0) this.lastEventId = events.at(-1)!.id;
    this.lastPollAt = Date.now();
  }

  private async load(keyHash: string): Promise<AuthenticatedDevice | null> {
    const generation = this.generation;
    const row = await this.prisma.device.findUnique({
      where: { keyHash },
      select: { id: true, ownerId: true, keyHash: true, revokedAt: true },
    });
    // The row was found by this digest; the constant-time comparison is DESIGN.md §4's rule
    // and a guard should the look-up ever become a prefix or case-insensitive match.
    if (!row || row.revokedAt !== null || !digestsEqual(row.keyHash, keyHash)) return null;
    const device: AuthenticatedDevice = { id: row.id, ownerId: row.ownerId };
    if (generation === this.generation) {
      if (this.cache.size >= this.maxEntries) {
        const oldest = this.cache.keys().next().value!;
        this.keyOfDevice.delete(this.cache.get(oldest)!.id);
        this.cache.delete(oldest);
      }
      const previous = this.keyOfDevice.get(device.id);
      if (previous) this.cache.delete(previous);
      this.cache.set(keyHash, device);
      this.keyOfDevice.set(device.id, keyHash);
    }
    return device;
  }
}
