// Verifies device keys with no database round trip once warm. The cache maps a key's
// digest to its device and the moment the key stops working (expiry, the end of a rotation's
// grace period, revocation), so keys end on time without any event. A rotation or revocation
// on this instance evicts the device at once; one on another instance reaches this one
// through the KeyEvent table, polled every `pollMs`. A generation counter keeps a look-up
// that raced with an eviction from caching what it read before the eviction.
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Clock } from "../services.js";
import { digestsEqual, hashApiKey, isWellFormedApiKey } from "./apiKeys.js";

export interface AuthenticatedDevice {
  id: string;
  ownerId: string;
}

/** KeyEvent kinds. "created" and "rotated" record keys issued; "revoked", "grace_ended" and
 * "expired" keys that stopped working; "deleted" devices whose account was deleted. */
export const KEY_EVENT = {
  created: "created",
  rotated: "rotated",
  graceEnded: "grace_ended",
  expired: "expired",
  revoked: "revoked",
  deleted: "deleted",
} as const;

/** Kinds after which another instance must look a device's keys up again. */
const EVICTING_EVENTS = new Set<string>([KEY_EVENT.rotated, KEY_EVENT.revoked, KEY_EVENT.deleted]);

export interface EndedKey {
  apiKeyId: string;
  deviceId: string;
}

export type KeyCheck =
  | { device: AuthenticatedDevice }
  /** `ended` names the key when it once worked, so that the refusal can be told to its owner. */
  | { device: null; ended: EndedKey | null }
  /** Only cached keys were to be looked at and this one was not a working cached key. */
  | { device: null; unchecked: true };

interface CachedKey {
  apiKeyId: string;
  device: AuthenticatedDevice;
  /** Epoch ms at which the key stops working; Infinity when nothing ends it yet. */
  endsAt: number;
}

const STALE_POLL_SLACK_MS = 1000;
/** How long a transaction may hold a key event uncommitted and still be seen. */
export const EVENT_LOOKBACK_MS = 10_000;
/** How many of the newest key events the first poll takes as already handled. */
const STARTING_EVENTS = 1000;
const REFUSED = { device: null, ended: null } as const;
const UNCHECKED = { device: null, unchecked: true } as const;

export class ApiKeyVerifier {
  private readonly cache = new Map<string, CachedKey>();
  private readonly keysOfDevice = new Map<string, Set<string>>();
  /** Digests no key has: keys are random and shown only after they are stored, so a digest
   * missing now never appears later and the answer can be kept. */
  private readonly unknown = new Set<string>();
  private readonly inFlight = new Map<string, Promise<CachedKey | null>>();
  private generation = 0;
  /** Key events up to this id are handled; null until a poll has found the starting point. */
  private horizonId: number | null = null;
  /** Ids above the horizon already handled, with when they were first seen. */
  private readonly recentEvents = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  /** When the last poll succeeded; null while not watching (a single instance needs no poll). */
  private lastPollAt: number | null = null;
  private pollMs = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    /** Tells the other instances at once, where they share a channel (REDIS_URL). */
    private readonly announce: (deviceId: string) => void = () => {},
    /** Told of every database look-up: what the cache did not answer. */
    private readonly lookedUp: () => void = () => {},
    private readonly maxEntries = 100_000,
  ) {}

  /**
   * What the key is worth now. With `cachedOnly` (the caller is being slowed down), any key
   * but a working cached one is answered `unchecked`, looked at no further.
   */
  check(key: string, cachedOnly = false): KeyCheck | Promise<KeyCheck> {
    if (!isWellFormedApiKey(key)) return cachedOnly ? UNCHECKED : REFUSED;
    const keyHash = hashApiKey(key);
    const cached = this.cache.get(keyHash);
    if (cached && this.clock.now().getTime() < cached.endsAt) {
      // Trust a working key only while polls succeed: otherwise another instance's revocation
      // would go unseen, so every call asks the database until polling recovers.
      if (this.lastPollAt === null || Date.now() - this.lastPollAt < this.pollMs + STALE_POLL_SLACK_MS) return { device: cached.device };
    } else if (cachedOnly) {
      return UNCHECKED;
    } else if (cached) {
      return this.refuse(cached);
    } else if (this.unknown.has(keyHash)) {
      return REFUSED;
    }
    if (cachedOnly) return UNCHECKED;
    let pending = this.inFlight.get(keyHash);
    if (!pending) {
      pending = this.load(keyHash).finally(() => this.inFlight.delete(keyHash));
      this.inFlight.set(keyHash, pending);
    }
    return pending.then((found) => {
      if (!found) return REFUSED;
      return this.clock.now().getTime() >= found.endsAt ? this.refuse(found) : { device: found.device };
    });
  }

  /** A device's keys changed here: stop trusting them on this instance and tell the others. */
  keysChanged(deviceId: string): void {
    this.forgetDevice(deviceId);
    this.announce(deviceId);
  }

  private forgetAll(): void {
    this.generation++;
    this.cache.clear();
    this.keysOfDevice.clear();
    this.inFlight.clear();
  }

  /** Stops every key of the device from verifying on this instance until it is looked up again. */
  forgetDevice(deviceId: string): void {
    this.generation++;
    for (const keyHash of this.keysOfDevice.get(deviceId) ?? []) this.cache.delete(keyHash);
    this.keysOfDevice.delete(deviceId);
    this.inFlight.clear();
  }

  /**
   * Follows key changes made by other instances. Resolves after the first poll; should it fail
   * (the database is not migrated yet, or away), polling carries on and, until one succeeds,
   * every key is looked up in the database rather than trusted from the cache.
   */
  async watch(pollMs: number, onError: (error: unknown) => void): Promise<void> {
    this.pollMs = pollMs;
    this.lastPollAt = 0;
    this.timer = setInterval(() => void this.poll().catch(onError), pollMs);
    this.timer.unref();
    await this.poll().catch(onError);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Evicts the devices whose keys changed since the last poll. An event's id is handed out
   * when its transaction inserts it, not when it commits, so on PostgreSQL a higher id can
   * become visible before a lower one: each poll looks again at every id above the highest
   * one seen EVENT_LOOKBACK_MS ago, skipping those it has already handled.
   */
  async poll(): Promise<void> {
    if (this.lastPollAt === null) return;
    if (this.horizonId === null) {
      // The starting point sits below the newest events, which count as handled (nothing is
      // cached yet), so that one among them still uncommitted is seen once it commits.
      const newest = await this.prisma.keyEvent.findMany({ orderBy: { id: "desc" }, select: { id: true }, take: STARTING_EVENTS });
      // Whatever was cached before the starting point was known may predate an eviction.
      this.forgetAll();
      const now = Date.now();
      for (const { id } of newest) this.recentEvents.set(id, now);
      this.horizonId = newest.length === STARTING_EVENTS ? newest.at(-1)!.id - 1 : 0;
      this.lastPollAt = now;
      return;
    }
    const events = await this.prisma.keyEvent.findMany({
      where: { id: { gt: this.horizonId } },
      orderBy: { id: "asc" },
      select: { id: true, deviceId: true, kind: true },
      take: 10_000,
    });
    const now = Date.now();
    for (const event of events) {
      if (this.recentEvents.has(event.id)) continue;
      this.recentEvents.set(event.id, now);
      // Expiries and grace periods are already in the cached end times.
      if (EVICTING_EVENTS.has(event.kind)) this.forgetDevice(event.deviceId);
    }
    let horizon = this.horizonId;
    for (const [id, seenAt] of this.recentEvents) if (now - seenAt >= EVENT_LOOKBACK_MS && id > horizon) horizon = id;
    // A full page moves the horizon on at once: the next poll reads the page after it.
    if (events.length === 10_000) horizon = Math.max(horizon, events.at(-1)!.id);
    for (const id of this.recentEvents.keys()) if (id <= horizon) this.recentEvents.delete(id);
    this.horizonId = horizon;
    this.lastPollAt = Date.now();
  }

  private refuse(key: CachedKey): KeyCheck {
    return { device: null, ended: { apiKeyId: key.apiKeyId, deviceId: key.device.id } };
  }

  private async load(keyHash: string): Promise<CachedKey | null> {
    const generation = this.generation;
    this.lookedUp();
    const row = await this.prisma.apiKey.findUnique({
      where: { keyHash },
      select: { id: true, keyHash: true, expiresAt: true, endsAt: true, device: { select: { id: true, ownerId: true, revokedAt: true } } },
    });
    // The row was found by this digest; the constant-time comparison is FleetQL's rule for key checks
    // and a guard should the look-up ever become a prefix or case-insensitive match.
    if (!row || !digestsEqual(row.keyHash, keyHash)) {
      if (generation === this.generation) this.remember(this.unknown, keyHash);
      return null;
    }
    const ends = [row.expiresAt, row.endsAt, row.device.revokedAt].filter((at): at is Date => at !== null).map((at) => at.getTime());
    const found: CachedKey = { apiKeyId: row.id, device: { id: row.device.id, ownerId: row.device.ownerId }, endsAt: Math.min(Infinity, ...ends) };
    if (generation === this.generation) {
      if (this.cache.size >= this.maxEntries) this.evictOldest();
      this.cache.set(keyHash, found);
      let keys = this.keysOfDevice.get(found.device.id);
      if (!keys) this.keysOfDevice.set(found.device.id, (keys = new Set()));
      keys.add(keyHash);
    }
    return found;
  }

  private evictOldest(): void {
    const oldest = this.cache.keys().next().value!;
    const deviceId = this.cache.get(oldest)!.device.id;
    this.cache.delete(oldest);
    const keys = this.keysOfDevice.get(deviceId);
    keys?.delete(oldest);
    if (keys?.size === 0) this.keysOfDevice.delete(deviceId);
  }

  private remember(set: Set<string>, keyHash: string): void {
    if (set.size >= this.maxEntries) set.delete(set.values().next().value!);
    set.add(keyHash);
  }
}
