// A PostgreSQL DATABASE_URL as Prisma reads it: `?schema=` picks the schema (default public).
export interface PostgresUrl {
  /** The URL without FleetQL's and Prisma's own parameters, for the pg driver. */
  connectionString: string;
  schema: string;
  /** The URL's own `options` (server settings such as `-c statement_timeout=…`), if any. */
  options: string | null;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** postgresql:// (or postgres://) selects PostgreSQL; everything else is for SQLite's `file:`. */
export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

export class PostgresUrlError extends Error {}

export function parsePostgresUrl(url: string): PostgresUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PostgresUrlError("DATABASE_URL is not a valid postgresql:// URL");
  }
  if (parsed.protocol !== "postgresql:" && parsed.protocol !== "postgres:") {
    throw new PostgresUrlError('DATABASE_URL for PostgreSQL must start with "postgresql://"');
  }
  const schema = parsed.searchParams.get("schema") ?? "public";
  if (!IDENTIFIER.test(schema)) {
    throw new PostgresUrlError(`the schema in DATABASE_URL must be a plain identifier: letters, digits and _ (got "${schema}")`);
  }
  parsed.searchParams.delete("schema");
  // Taken out so that FleetQL can add its own settings to them: pg lets a URL's `options`
  // replace the ones it is given, which would silently drop the schema and the time zone.
  const options = parsed.searchParams.get("options");
  parsed.searchParams.delete("options");
  return { connectionString: parsed.toString(), schema, options };
}
