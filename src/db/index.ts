import { openSqlite } from "./sqlite.js";
import type { FleetDb } from "./types.js";

export type { FleetDb } from "./types.js";

export interface CreateDbOptions {
  /** Apply pending migrations before use (the default for `npm start`). */
  migrate?: boolean;
}

/** Opens the database the URL names: `file:` for SQLite, `postgresql://` for PostgreSQL. */
export async function createDb(url: string, options: CreateDbOptions = {}): Promise<FleetDb> {
  if (url.startsWith("file:")) return openSqlite(url, { migrate: options.migrate ?? true });
  throw new Error(`unsupported DATABASE_URL: ${url.split(":")[0]}: (PostgreSQL support is not in this version)`);
}
