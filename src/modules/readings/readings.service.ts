import type { Reading } from "../../generated/prisma/client.js";
import type { AuthenticatedDevice } from "../../auth/apiKeyVerifier.js";
import { DeviceGoneError, type BatchOutcome, type FleetDb, type ReadingRow } from "../../db/types.js";
import { badUserInput, invalidApiKey } from "../../errors.js";
import { CONTROL_CHARACTER, hasVisibleCharacter, normalizeText } from "../../text.js";
import { checkInstant, isStorableInstant } from "../../instants.js";
import { checkPageSize, decodeCursor, toConnection, type Connection } from "../../pagination.js";
import type { Clock } from "../../services.js";

export const MAX_READINGS_PER_BATCH = 1000;
export const METRIC_MAX_LENGTH = 64;
export const BATCH_ID_MAX_LENGTH = 128;
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
export const DUPLICATE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A stored reading as FleetQL hands it on: its 64-bit id as a string, whichever database holds it. */
export type StoredReading = Omit<Reading, "id"> & { id: string };

export interface ReadingInput {
  metric: string;
  value: number;
  recordedAt?: Date | null;
}

export interface ReadingFilter {
  metric?: string | null;
  since?: Date | null;
  until?: Date | null;
  first?: number | null;
  after?: string | null;
}

/** Checks every reading before anything is stored: one bad reading refuses the batch. */
function validateBatch(readings: ReadingInput[], batchId: string | null, now: Date): ReadingRow[] {
  if (readings.length < 1 || readings.length > MAX_READINGS_PER_BATCH) {
    throw badUserInput(`A batch holds 1 to ${MAX_READINGS_PER_BATCH} readings (got ${readings.length}).`);
  }
  if (batchId !== null && (batchId.length < 1 || batchId.length > BATCH_ID_MAX_LENGTH)) {
    throw badUserInput(`batchId must be 1 to ${BATCH_ID_MAX_LENGTH} characters.`);
  }
  const latest = now.getTime() + MAX_FUTURE_SKEW_MS;
  return readings.map((reading, index) => {
    // Trimmed and in NFC, as device names are: " temp " and "temp" are one metric.
    const metric = normalizeText(reading.metric);
    const metricLength = [...metric].length;
    if (metricLength < 1 || metricLength > METRIC_MAX_LENGTH || !hasVisibleCharacter(metric)) {
      throw badUserInput(`readings[${index}].metric must be 1 to ${METRIC_MAX_LENGTH} characters after trimming, not all blank or invisible.`);
    }
    if (CONTROL_CHARACTER.test(metric)) throw badUserInput(`readings[${index}].metric must not contain control or invisible formatting characters.`);
    if (!Number.isFinite(reading.value)) throw badUserInput(`readings[${index}].value must be a finite number.`);
    const recordedAt = reading.recordedAt ?? now;
    const time = recordedAt.getTime();
    if (time > latest) throw badUserInput(`readings[${index}].recordedAt is more than 5 minutes in the server's future.`);
    // Historical series may go back a long way: anything both databases store faithfully.
    if (!isStorableInstant(time)) throw badUserInput(`readings[${index}].recordedAt must be from 0001-01-01 on.`);
    return { metric, value: reading.value, recordedAt };
  });
}

export interface ReadingsEvents {
  /** A batch was stored (not a duplicate). */
  stored?: (accepted: number) => void;
  /** The device reported, stored or resent: it was last seen now, as a heartbeat would say. */
  seen?: (deviceId: string, at: Date) => void;
  /** The batch's device is gone though its key verified: the key must not verify again. */
  deviceGone?: (deviceId: string) => void;
}

export function createReadingsService(db: FleetDb, clock: Clock, events: ReadingsEvents = {}) {
  const { prisma } = db;
  // Reading ids are 64-bit: bigints from PostgreSQL, numbers from SQLite (its client's type,
  // which the code is written against).
  const cursorReadingId = (id: string): number => {
    if (!/^\d{1,19}$/.test(id)) throw badUserInput("Invalid cursor in `after`.");
    if (db.provider === "postgresql") {
      const big = BigInt(id);
      if (big > 2n ** 63n - 1n) throw badUserInput("Invalid cursor in `after`.");
      return big as unknown as number;
    }
    const small = Number(id);
    if (!Number.isSafeInteger(small)) throw badUserInput("Invalid cursor in `after`.");
    return small;
  };
  return {
    async report(device: AuthenticatedDevice, readings: ReadingInput[], batchId: string | null | undefined): Promise<BatchOutcome> {
      const now = clock.now();
      const rows = validateBatch(readings, batchId ?? null, now);
      let outcome: BatchOutcome;
      try {
        outcome = await db.insertReadingBatch({
          deviceId: device.id,
          batchId: batchId ?? null,
          receivedAt: now,
          duplicateWindowStart: new Date(now.getTime() - DUPLICATE_WINDOW_MS),
          readings: rows,
        });
      } catch (error) {
        if (!(error instanceof DeviceGoneError)) throw error;
        events.deviceGone?.(device.id);
        throw invalidApiKey();
      }
      if (!outcome.duplicate) events.stored?.(outcome.accepted);
      events.seen?.(device.id, now);
      return outcome;
    },

    async list(deviceId: string, filter: ReadingFilter): Promise<Connection<StoredReading>> {
      const size = checkPageSize(filter.first, 100);
      checkInstant("since", filter.since);
      checkInstant("until", filter.until);
      const position = decodeCursor(filter.after);
      const positionId = position ? cursorReadingId(position.id) : null;
      const rows = await prisma.reading.findMany({
        where: {
          deviceId,
          ...(filter.metric != null && { metric: normalizeText(filter.metric) }),
          recordedAt: {
            ...(filter.since && { gte: filter.since }),
            ...(filter.until && { lt: filter.until }),
            // Bounds the index range as well as the OR below, so a later page seeks, not scans.
            ...(position && { lte: position.at }),
          },
          ...(position && {
            OR: [{ recordedAt: { lt: position.at } }, { recordedAt: position.at, id: { lt: positionId! } }],
          }),
        },
        orderBy: [{ recordedAt: "desc" }, { id: "desc" }],
        take: size + 1,
      });
      const readings = rows.map((row): StoredReading => ({ ...row, id: String(row.id) }));
      return toConnection(readings, size, (r) => ({ at: r.recordedAt, id: r.id }));
    },

    forgetOldBatches(): Promise<void> {
      return db.forgetBatchesBefore(new Date(clock.now().getTime() - DUPLICATE_WINDOW_MS));
    },
  };
}

export type ReadingsService = ReturnType<typeof createReadingsService>;
