// Heartbeats arrive far more often than anyone reads lastSeenAt, so they are coalesced in
// memory and written in one transaction per interval instead of one write per call. Reads
// overlay what is pending, so a query right after a heartbeat already sees it; stop()
// writes what is left, so a graceful shutdown loses nothing.
import type { DeviceActivity } from "../../db/types.js";

type Pending = Omit<DeviceActivity, "deviceId">;

export class DeviceActivityBuffer {
  private pending = new Map<string, Pending>();
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
    this.pending.set(deviceId, keptStatus === undefined ? { lastSeenAt } : { lastSeenAt, status: keptStatus });
  }

  /** The device as it will be once pending activity is written. */
  overlay<T extends { id: string; lastSeenAt: Date | null; status: string | null }>(device: T): T {
    const pending = this.pending.get(device.id);
    if (!pending) return device;
    return { ...device, lastSeenAt: pending.lastSeenAt, status: pending.status === undefined ? device.status : pending.status };
  }

  flush(): Promise<void> {
    const run = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await this.write([...batch].map(([deviceId, entry]) => ({ deviceId, ...entry })));
      } catch (error) {
        // Put the batch back under anything newer that arrived meanwhile, and retry later.
        for (const [deviceId, entry] of batch) {
          const newer = this.pending.get(deviceId);
          if (!newer) this.pending.set(deviceId, entry);
          else if (newer.status === undefined && entry.status !== undefined) this.pending.set(deviceId, { ...newer, status: entry.status });
        }
        throw error;
      }
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
