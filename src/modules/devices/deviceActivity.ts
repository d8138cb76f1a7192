// Heartbeats arrive far more often than anyone reads lastSeenAt, so they are coalesced in
// memory and written in one transaction per interval instead of one write per call. Reads
// overlay what this instance knows, so a query right after a heartbeat already sees it, even
// while the write is under way or the row was read just before it landed; stop() writes
// what is left, so a graceful shutdown loses nothing.
import type { DeviceActivity } from "../../db/types.js";

type Entry = Omit<DeviceActivity, "deviceId">;

export class DeviceActivityBuffer {
  private pending = new Map<string, Entry>();
  /** The batch being written, then kept one more interval for reads that raced the write. */
  private writing = new Map<string, Entry>();
  private written = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (entries: DeviceActivity[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(this.onError), this.intervalMs);
    this.timer.unref();
  }

  /** @param status JSON text, or undefined to keep the stored status. */
  record(deviceId: string, lastSeenAt: Date, status: string | null | undefined): void {
    const previous = this.pending.get(deviceId);
    const keptStatus = status === undefined ? previous?.status : status;
    // Calls finish out of order (a report that waited for the write lock ends after a later
    // heartbeat): the device was last seen at the latest of them.
    const seen = previous && previous.lastSeenAt > lastSeenAt ? previous.lastSeenAt : lastSeenAt;
    this.pending.set(deviceId, keptStatus === undefined ? { lastSeenAt: seen } : { lastSeenAt: seen, status: keptStatus });
  }

  /** The device as it will be once everything recorded is written. */
  overlay<T extends { id: string; lastSeenAt: Date | null; status: string | null }>(device: T): T {
    let { lastSeenAt, status } = device;
    // Oldest first, so the newest knowledge wins.
    for (const source of [this.written, this.writing, this.pending]) {
      const entry = source.get(device.id);
      if (!entry || (lastSeenAt !== null && entry.lastSeenAt < lastSeenAt)) continue;
      lastSeenAt = entry.lastSeenAt;
      if (entry.status !== undefined) status = entry.status;
    }
    return lastSeenAt === device.lastSeenAt && status === device.status ? device : { ...device, lastSeenAt, status };
  }

  flush(): Promise<void> {
    const run = this.flushing.then(async () => {
      if (this.pending.size === 0) {
        this.written = new Map();
        return;
      }
      this.writing = this.pending;
      this.pending = new Map();
      try {
        await this.write([...this.writing].map(([deviceId, entry]) => ({ deviceId, ...entry })));
        this.written = this.writing;
      } catch (error) {
        // Put the batch back under anything newer that arrived meanwhile, and retry later.
        for (const [deviceId, entry] of this.writing) {
          const newer = this.pending.get(deviceId);
          if (!newer) this.pending.set(deviceId, entry);
          else if (newer.status === undefined && entry.status !== undefined) this.pending.set(deviceId, { ...newer, status: entry.status });
        }
        throw error;
      } finally {
        this.writing = new Map();
      }
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /** Writes what is left, retrying a failed write a few times before giving up. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.flush();
      } catch (error) {
        if (attempt >= 5) throw error;
        this.onError(error);
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }
}
