-- Keys move from Device to their own table, so that a device can hold two keys during a
-- rotation's grace period and keys can expire.

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "keyPrefix" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "expiresAt" DATETIME,
    "endsAt" DATETIME,
    CONSTRAINT "ApiKey_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "KeyRefusal" (
    "apiKeyId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "hour" DATETIME NOT NULL,
    "count" INTEGER NOT NULL,

    PRIMARY KEY ("apiKeyId", "hour"),
    CONSTRAINT "KeyRefusal_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "ApiKey" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Every device's current key becomes its first ApiKey row (the device id is unique, so it
-- serves as the key's id).
INSERT INTO "ApiKey" ("id", "deviceId", "keyHash", "keyPrefix", "createdAt")
SELECT "id", "id", "keyHash", "keyPrefix", "createdAt" FROM "Device";

-- DropIndex
DROP INDEX "Device_keyHash_key";

-- AlterTable
ALTER TABLE "Device" DROP COLUMN "keyHash";

-- AlterTable
ALTER TABLE "KeyEvent" ADD COLUMN "apiKeyId" TEXT;
ALTER TABLE "KeyEvent" ADD COLUMN "keyPrefix" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_keyHash_key" ON "ApiKey"("keyHash");

-- CreateIndex
CREATE INDEX "ApiKey_deviceId_createdAt_idx" ON "ApiKey"("deviceId", "createdAt");

-- CreateIndex
CREATE INDEX "KeyRefusal_deviceId_hour_idx" ON "KeyRefusal"("deviceId", "hour");

-- CreateIndex
CREATE INDEX "KeyEvent_deviceId_at_idx" ON "KeyEvent"("deviceId", "at");
