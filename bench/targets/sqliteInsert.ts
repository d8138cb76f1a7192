// Baseline 5: the storage limit, better-sqlite3 inserting 500-reading batches into FleetQL's
// own Reading table (same migrations, same indexes, same pragmas), one transaction a batch,
// one prepared single-row INSERT per reading.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { migrateSqlite } from "../../src/db/migrations.js";
import { SQLITE_CACHE_KIB } from "../../src/db/sqlite.js";
import { sqliteTimestamp } from "../../src/db/sqliteTimestamps.js";

const seconds = Number(process.argv[2] ?? 5);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetql-bench-sqlite-"));
const db = new Database(path.join(dir, "baseline.db"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
migrateSqlite(db);
db.prepare(`INSERT INTO "User" ("id", "email", "passwordHash", "createdAt") VALUES ('u', 'u@example.com', 'x', ?)`).run(sqliteTimestamp(new Date()));
db.prepare(`INSERT INTO "Device" ("id", "ownerId", "name", "keyPrefix", "createdAt") VALUES ('d', 'u', 'd', 'p', ?)`).run(sqliteTimestamp(new Date()));

const insert = db.prepare(`INSERT INTO "Reading" ("deviceId", "metric", "value", "recordedAt", "receivedAt") VALUES (?, ?, ?, ?, ?)`);
const batch = db.transaction((rows: { metric: string; value: number; recordedAt: Date }[], receivedAt: Date) => {
  const received = sqliteTimestamp(receivedAt);
  for (const row of rows) insert.run("d", row.metric, row.value, sqliteTimestamp(row.recordedAt), received);
});
// Like a device reporting a series: every batch carries new, increasing timestamps.
let clock = Date.UTC(2020, 0, 1);
const makeRows = () =>
  Array.from({ length: 500 }, (_, i) => ({ metric: ["pressure", "temperature", "wind"][i % 3]!, value: Math.random() * 100, recordedAt: new Date((clock += 1000)) }));

const start = performance.now();
const end = start + seconds * 1000;
let rows = 0;
while (performance.now() < end) {
  batch(makeRows(), new Date());
  rows += 500;
}
const elapsed = (performance.now() - start) / 1000;
db.close();
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ rowsPerSecond: rows / elapsed, rows }));
