-- Instants are stored as integer milliseconds since 1970 (UTC) instead of ISO 8601 text:
-- Prisma's SQLite adapter reads and writes them so (timestampFormat "unixepoch-ms"). An
-- 8-byte integer in place of 29 bytes of text makes every reading row and both readings
-- indexes smaller, and comparing them cheaper: about a third of the cost of storing a batch.
-- Converts what earlier versions stored; the schema itself is unchanged.

UPDATE "User" SET
    "createdAt" = CASE WHEN typeof("createdAt") = 'text' THEN CAST(round(unixepoch("createdAt", 'subsec') * 1000) AS INTEGER) ELSE "createdAt" END
WHERE typeof("createdAt") = 'text';

UPDATE "Device" SET
    "createdAt" = CASE WHEN typeof("createdAt") = 'text' THEN CAST(round(unixepoch("createdAt", 'subsec') * 1000) AS INTEGER) ELSE "createdAt" END,
    "lastSeenAt" = CASE WHEN typeof("lastSeenAt") = 'text' THEN CAST(round(unixepoch("lastSeenAt", 'subsec') * 1000) AS INTEGER) ELSE "lastSeenAt" END,
    "revokedAt" = CASE WHEN typeof("revokedAt") = 'text' THEN CAST(round(unixepoch("revokedAt", 'subsec') * 1000) AS INTEGER) ELSE "revokedAt" END
WHERE typeof("createdAt") = 'text' OR typeof("lastSeenAt") = 'text' OR typeof("revokedAt") = 'text';

UPDATE "Reading" SET
    "recordedAt" = CASE WHEN typeof("recordedAt") = 'text' THEN CAST(round(unixepoch("recordedAt", 'subsec') * 1000) AS INTEGER) ELSE "recordedAt" END,
    "receivedAt" = CASE WHEN typeof("receivedAt") = 'text' THEN CAST(round(unixepoch("receivedAt", 'subsec') * 1000) AS INTEGER) ELSE "receivedAt" END
WHERE typeof("recordedAt") = 'text' OR typeof("receivedAt") = 'text';

UPDATE "ReportBatch" SET
    "createdAt" = CASE WHEN typeof("createdAt") = 'text' THEN CAST(round(unixepoch("createdAt", 'subsec') * 1000) AS INTEGER) ELSE "createdAt" END
WHERE typeof("createdAt") = 'text';

UPDATE "ApiKey" SET
    "createdAt" = CASE WHEN typeof("createdAt") = 'text' THEN CAST(round(unixepoch("createdAt", 'subsec') * 1000) AS INTEGER) ELSE "createdAt" END,
    "expiresAt" = CASE WHEN typeof("expiresAt") = 'text' THEN CAST(round(unixepoch("expiresAt", 'subsec') * 1000) AS INTEGER) ELSE "expiresAt" END,
    "endsAt" = CASE WHEN typeof("endsAt") = 'text' THEN CAST(round(unixepoch("endsAt", 'subsec') * 1000) AS INTEGER) ELSE "endsAt" END
WHERE typeof("createdAt") = 'text' OR typeof("expiresAt") = 'text' OR typeof("endsAt") = 'text';

UPDATE "KeyRefusal" SET
    "hour" = CASE WHEN typeof("hour") = 'text' THEN CAST(round(unixepoch("hour", 'subsec') * 1000) AS INTEGER) ELSE "hour" END
WHERE typeof("hour") = 'text';

UPDATE "KeyEvent" SET
    "at" = CASE WHEN typeof("at") = 'text' THEN CAST(round(unixepoch("at", 'subsec') * 1000) AS INTEGER) ELSE "at" END
WHERE typeof("at") = 'text';
