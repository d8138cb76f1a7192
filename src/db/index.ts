import { openSqlite } from "./sqlite.js";
import { isPostgresUrl } from "./postgresUrl.js";
import type { FleetDb } from "./types.js";

export type { FleetDb } from "./types.js";

export interface CreateDbOptions {
  /** Apply pending migrations before use (the default for `npm start`). */
  migrate?: boolean;
  /** PostgreSQL only: connections in the pool. */
  poolSize?: number;
  /** PostgreSQL only: told while start-up waits for another instance's migration lock. */
  onMigrationWait?: (message: string) => void;
}


/** Opens the database the URL names: `file:` for SQLite, `postgresql://` for PostgreSQL. */
export async function createDb(url: string, options: CreateDbOptions = {}): Promise<FleetDb> {
  const migrate = options.migrate ?? true;
  if (url.startsWith("file:")) return openSqlite(url, { migrate });
  if (isPostgresUrl(url)) {
    // Loaded only when asked for: a SQLite deployment never loads pg or its Prisma client.
    const { openPostgres } = await import("./postgresql.js");
    return openPostgres(url, { migrate, poolSize: options.poolSize, onMigrationWait: options.onMigrationWait });
  }
  throw new Error(`unsupported DATABASE_URL scheme: ${url.split(":")[0]}:`);
}
