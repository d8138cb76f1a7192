// How FleetQL stores DateTime in SQLite: integer milliseconds since 1970 (UTC), with Prisma's
// adapter set to match. An 8-byte integer instead of 29 bytes of ISO text in every reading and
// its two index entries, compared as numbers: about a third less time to store a batch.
// Kept free of imports so that prisma.config.ts can use it before the client is generated.
// User.createdAt and Device.createdAt keep the DEFAULT CURRENT_TIMESTAMP (text) of the first
// migration, which Prisma's schema declares: FleetQL always writes them itself, and SQLite
// cannot change a default without rebuilding the table.

export const SQLITE_TIMESTAMP_FORMAT = "unixepoch-ms";

export const sqliteTimestamp = (date: Date): number => date.getTime();
