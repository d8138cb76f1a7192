-- Instants are stored as integer milliseconds since 1970 (UTC) instead of ISO 8601 text:
-- Prisma's SQLite adapter reads and writes them so (timestampFormat "unixepoch-ms"). An
-- 8-byte integer in place of 29 bytes of text makes every reading row and both readings
-- indexes smaller, and comparing them cheaper: about a third of the cost of storing a batch.
-- Converts what earlier versions stored; the schema itself is unchanged. Text SQLite cannot
-- read as a time is left as it was, and then stops the migration (below), so nothing is lost.

UPDATE "User" SET
    "createdAt" = CASE WHEN typeof("createdAt") = 'text' THEN coalesce(CAST(round(unixepoch("createdAt", 'subsec') * 1000) AS INTEGER), "createdAt") ELSE "createdAt" END
WHERE typeof("createdAt") = 'text';

UPDATE "Device" SET
    "createdAt" = CASE WHEN typeof("createdAt") = 'text' THEN coalesce(CAST(round(unixepoch("createdAt", 'subsec') * 1000) AS INTEGER), "createdAt") ELSE "createdAt" END,
    "lastSeenAt" = CASE WHEN typeof("lastSeenAt") = 'text' THEN coalesce(CAST(round(unixepoch("lastSeenAt", 'subsec') * 1000) AS INTEGER), "lastSeenAt") ELSE "lastSeenAt" END,
    "revokedAt" = CASE WHEN typeof("revokedAt") = 'text' THEN coalesce(CAST(round(unixepoch("revokedAt", 'subsec') * 1000) AS INTEGER), "revokedAt") ELSE "revokedAt" END
WHERE typeof("createdAt") = 'text' OR typeof("lastSeenAt") = 'text' OR typeof("revokedAt") = 'text';

UPDATE "Reading" SET
    "recordedAt" = CASE WHEN typeof("recordedAt") = 'text' THEN coalesce(CAST(round(unixepoch("recordedAt", 'subsec') * 1000) AS INTEGER), "recordedAt") ELSE "recordedAt" END,
    "receivedAt" = CASE WHEN typeof("receivedAt") = 'text' THEN coalesce(CAST(round(unixepoch("receivedAt", 'subsec') * 1000) AS INTEGER), "receivedAt") ELSE "receivedAt" END
WHERE typeof("recordedAt") = 'text' OR typeof("receivedAt") = 'text';

UPDATE "ReportBatch" SET
    "createdAt" = CASE WHEN typeof("createdAt") = 'text' THEN coalesce(CAST(round(unixepoch("createdAt", 'subsec') * 1000) AS INTEGER), "createdAt") ELSE "createdAt" END
WHERE typeof("createdAt") = 'text';

UPDATE "ApiKey" SET
    "createdAt" = CASE WHEN typeof("createdAt") = 'text' THEN coalesce(CAST(round(unixepoch("createdAt", 'subsec') * 1000) AS INTEGER), "createdAt") ELSE "createdAt" END,
    "expiresAt" = CASE WHEN typeof("expiresAt") = 'text' THEN coalesce(CAST(round(unixepoch("expiresAt", 'subsec') * 1000) AS INTEGER), "expiresAt") ELSE "expiresAt" END,
    "endsAt" = CASE WHEN typeof("endsAt") = 'text' THEN coalesce(CAST(round(unixepoch("endsAt", 'subsec') * 1000) AS INTEGER), "endsAt") ELSE "endsAt" END
WHERE typeof("createdAt") = 'text' OR typeof("expiresAt") = 'text' OR typeof("endsAt") = 'text';

UPDATE "KeyRefusal" SET
    "hour" = CASE WHEN typeof("hour") = 'text' THEN coalesce(CAST(round(unixepoch("hour", 'subsec') * 1000) AS INTEGER), "hour") ELSE "hour" END
WHERE typeof("hour") = 'text';

UPDATE "KeyEvent" SET
    "at" = CASE WHEN typeof("at") = 'text' THEN coalesce(CAST(round(unixepoch("at", 'subsec') * 1000) AS INTEGER), "at") ELSE "at" END
WHERE typeof("at") = 'text';

-- Fails the migration, which then leaves the database as it was, should any instant still be
-- text; the error names the table (find the rows with `WHERE typeof("column") = 'text'`).
CREATE TEMP TABLE "integer_timestamps_check" (
    "unconvertible text instants in User" INTEGER NOT NULL CHECK ("unconvertible text instants in User" = 0),
    "unconvertible text instants in Device" INTEGER NOT NULL CHECK ("unconvertible text instants in Device" = 0),
    "unconvertible text instants in Reading" INTEGER NOT NULL CHECK ("unconvertible text instants in Reading" = 0),
    "unconvertible text instants in ReportBatch" INTEGER NOT NULL CHECK ("unconvertible text instants in ReportBatch" = 0),
    "unconvertible text instants in ApiKey" INTEGER NOT NULL CHECK ("unconvertible text instants in ApiKey" = 0),
    "unconvertible text instants in KeyRefusal" INTEGER NOT NULL CHECK ("unconvertible text instants in KeyRefusal" = 0),
    "unconvertible text instants in KeyEvent" INTEGER NOT NULL CHECK ("unconvertible text instants in KeyEvent" = 0)
);
INSERT INTO "integer_timestamps_check"
SELECT (SELECT count(*) FROM "User" WHERE typeof("createdAt") = 'text'),
  (SELECT count(*) FROM "Device" WHERE typeof("createdAt") = 'text' OR typeof("lastSeenAt") = 'text' OR typeof("revokedAt") = 'text'),
  (SELECT count(*) FROM "Reading" WHERE typeof("recordedAt") = 'text' OR typeof("receivedAt") = 'text'),
  (SELECT count(*) FROM "ReportBatch" WHERE typeof("createdAt") = 'text'),
  (SELECT count(*) FROM "ApiKey" WHERE typeof("createdAt") = 'text' OR typeof("expiresAt") = 'text' OR typeof("endsAt") = 'text'),
  (SELECT count(*) FROM "KeyRefusal" WHERE typeof("hour") = 'text'),
  (SELECT count(*) FROM "KeyEvent" WHERE typeof("at") = 'text');
DROP TABLE "integer_timestamps_check";
