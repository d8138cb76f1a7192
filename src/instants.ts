// The instants both databases store and compare faithfully: years 0001 to 9999. Prisma's
// PostgreSQL adapter writes year 0 as "0000", which PostgreSQL refuses, and neither
// database's timestamp forms go past 9999.
import { badUserInput } from "./errors.js";

export const EARLIEST_INSTANT = Date.parse("0001-01-01T00:00:00Z");
export const LATEST_INSTANT = Date.parse("9999-12-31T23:59:59.999Z");

export const isStorableInstant = (epochMs: number) => epochMs >= EARLIEST_INSTANT && epochMs <= LATEST_INSTANT;

/** Refuses an instant argument outside what the databases hold; null and undefined pass. */
export function checkInstant(name: string, date: Date | null | undefined): void {
  if (date != null && !isStorableInstant(date.getTime())) throw badUserInput(`${name} must be from 0001-01-01 to 9999-12-31.`);
}
