// Reads rows straight from the SQLite file, to check what FleetQL really stored.
import Database from "better-sqlite3";
import { sqliteFilePath } from "../../src/db/sqlite.js";

export function readDeviceRow(databaseUrl: string, id: string): { lastSeenAt: string | null; status: string | null } {
  const db = new Database(sqliteFilePath(databaseUrl), { readonly: true });
  try {
    return db.prepare(`SELECT "lastSeenAt", "status" FROM "Device" WHERE "id" = ?`).get(id) as { lastSeenAt: string | null; status: string | null };
  } finally {
    db.close();
  }
}

export function countReadings(databaseUrl: string, deviceId: string): number {
  const db = new Database(sqliteFilePath(databaseUrl), { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM "Reading" WHERE "deviceId" = ?`).get(deviceId) as { n: number }).n;
  } finally {
    db.close();
  }
}
