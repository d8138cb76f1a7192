// Coalesced heartbeats read back fresh at every moment of a flush. The writer is a plain
// function the test controls, so the moments in between can be observed.
import { describe, expect, it } from "vitest";
import { DeviceActivityBuffer } from "../../src/modules/devices/deviceActivity.js";
import type { DeviceActivity } from "../../src/db/types.js";

const row = (lastSeenAt: Date | null = null, status: string | null = null) => ({ id: "d1", lastSeenAt, status });

describe("DeviceActivityBuffer", () => {
  it("shows a heartbeat while it is pending, while it is written, and after a stale read", async () => {
    let finish!: () => void;
    const written: DeviceActivity[][] = [];
    const buffer = new DeviceActivityBuffer(
      (entries) => {
        written.push(entries);
        return new Promise<void>((resolve) => (finish = resolve));
      },
      60_000,
      () => {},
    );
    const at = new Date("2026-01-01T00:00:00Z");
    buffer.record("d1", at, '{"on":true}');
    expect(buffer.overlay(row())).toMatchObject({ lastSeenAt: at, status: '{"on":true}' });

    const flushed = buffer.flush();
    await Promise.resolve();
    await Promise.resolve();
    expect(written).toHaveLength(1);
    // Mid-write: the database row does not have it yet.
    expect(buffer.overlay(row())).toMatchObject({ lastSeenAt: at, status: '{"on":true}' });
    finish();
    await flushed;
    // A row read before the write landed is still corrected.
    expect(buffer.overlay(row())).toMatchObject({ lastSeenAt: at, status: '{"on":true}' });
    // A newer row from the database wins over older knowledge.
    const later = new Date("2026-01-01T00:01:00Z");
    expect(buffer.overlay(row(later, null))).toMatchObject({ lastSeenAt: later, status: null });
  });

  it("never moves lastSeenAt back when calls finish out of order, and keeps the newest status", () => {
    const buffer = new DeviceActivityBuffer(async () => {}, 60_000, () => {});
    const later = new Date("2026-01-01T00:00:01Z");
    const earlier = new Date("2026-01-01T00:00:00Z");
    buffer.record("d1", later, '{"v":2}');
    // A report that began before that heartbeat and waited for the write lock ends now.
    buffer.record("d1", earlier, undefined);
    expect(buffer.overlay(row())).toMatchObject({ lastSeenAt: later, status: '{"v":2}' });
  });

  it("keeps the status of a batch being written when a later heartbeat carries none", async () => {
    let finish!: () => void;
    const buffer = new DeviceActivityBuffer(() => new Promise<void>((resolve) => (finish = resolve)), 60_000, () => {});
    buffer.record("d1", new Date("2026-01-01T00:00:00Z"), '"a"');
    const flushed = buffer.flush();
    await Promise.resolve();
    const second = new Date("2026-01-01T00:00:05Z");
    buffer.record("d1", second, undefined);
    expect(buffer.overlay(row())).toMatchObject({ lastSeenAt: second, status: '"a"' });
    finish();
    await flushed;
  });

  it("puts a failed batch back and writes it on the next flush", async () => {
    const attempts: DeviceActivity[][] = [];
    const buffer = new DeviceActivityBuffer(
      async (entries) => {
        attempts.push(entries);
        if (attempts.length === 1) throw new Error("disk full");
      },
      60_000,
      () => {},
    );
    const at = new Date("2026-01-01T00:00:00Z");
    buffer.record("d1", at, '"x"');
    await expect(buffer.flush()).rejects.toThrow("disk full");
    await buffer.stop();
    expect(attempts[1]).toEqual([{ deviceId: "d1", lastSeenAt: at, status: '"x"' }]);
  });
});
