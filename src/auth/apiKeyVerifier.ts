// Verifies device keys with no database round trip once warm. The cache maps a key's
// digest to its device; revoking or rotating calls forget() so the change holds on the
// very next call. A generation counter keeps a look-up that raced with a revocation from
// caching what it read before the revocation.
import type { PrismaClient } from "../generated/prisma/client.js";
import { digestsEqual, hashApiKey, isWellFormedApiKey } from "./apiKeys.js";

export interface AuthenticatedDevice {
  id: string;
  ownerId: string;
  keyHash: string;
}

export class ApiKeyVerifier {
  private readonly cache = new Map<string, AuthenticatedDevice>();
  private readonly inFlight = new Map<string, Promise<AuthenticatedDevice | null>>();
  private generation = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly maxEntries = 100_000,
  ) {}

  /** The device the key belongs to, or null for any key that must be refused. */
  verify(key: string): AuthenticatedDevice | null | Promise<AuthenticatedDevice | null> {
    if (!isWellFormedApiKey(key)) return null;
    const keyHash = hashApiKey(key);
    const cached = this.cache.get(keyHash);
    if (cached) return cached;
    let pending = this.inFlight.get(keyHash);
    if (!pending) {
      pending = this.load(keyHash).finally(() => this.inFlight.delete(keyHash));
      this.inFlight.set(keyHash, pending);
    }
    return pending;
  }

  /** Stops a key from verifying on this instance from now on. */
  forget(keyHash: string): void {
    this.generation++;
    this.cache.delete(keyHash);
    this.inFlight.delete(keyHash);
  }

  private async load(keyHash: string): Promise<AuthenticatedDevice | null> {
    const generation = this.generation;
    const row = await this.prisma.device.findUnique({
      where: { keyHash },
      select: { id: true, ownerId: true, keyHash: true, revokedAt: true },
    });
    if (!row || row.revokedAt !== null || !digestsEqual(row.keyHash, keyHash)) return null;
    const device: AuthenticatedDevice = { id: row.id, ownerId: row.ownerId, keyHash: row.keyHash };
    if (generation === this.generation) {
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(keyHash, device);
    }
    return device;
  }
}
