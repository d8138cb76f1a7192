// The one place that reads the environment. Everything else receives a Config.
import type { RateLimit } from "./rateLimit.js";
import { isPostgresUrl, parsePostgresUrl } from "./db/postgresUrl.js";

export interface Config {
  nodeEnv: "development" | "production" | "test";
  port: number;
  host: string;
  databaseUrl: string;
  /** Apply pending migrations at start (MIGRATE_ON_START); off, `npm run migrate` does it. */
  migrateOnStart: boolean;
  /** PostgreSQL connections per instance. */
  databasePoolSize: number;
  /** null in development: the entry point then keeps a generated secret in the data directory. */
  jwtSecret: string | null;
  jwtTtlSeconds: number;
  logLevel: LogLevel;
  redisUrl: string | null;
  /** Namespaces FleetQL's Redis keys and channel, so deployments can share one Redis. */
  redisPrefix: string;
  /** How long a heartbeat's lastSeenAt/status may wait in memory before it is written. */
  activityFlushMs: number;
  rateLimits: RateLimits;
  /** How many proxies in front of FleetQL append to X-Forwarded-For (0: use the socket's address). */
  trustProxyHops: number;
}

export interface RateLimits {
  /** Calls per device key. */
  device: RateLimit;
  /** signUp/logIn attempts per client address. */
  auth: RateLimit;
  /** Refused device keys per client address; past it, keys not already known good wait. */
  refusedKeys: RateLimit;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  device: { perSecond: 20, burst: 40 },
  auth: { perSecond: 10 / 60, burst: 10 },
  refusedKeys: { perSecond: 60 / 60, burst: 60 },
};


export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_DATABASE_URL = "file:./data/fleetql.db";
const MIN_JWT_SECRET_BYTES = 32;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** Parses durations such as "3600", "90s", "15m", "1h", "7d" into seconds. */
export function parseDurationSeconds(text: string): number | null {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? "s") as "s" | "m" | "h" | "d"];
  const seconds = Number(match[1]) * unit;
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : null;
}

type EnvValue = (name: string) => string | undefined;

const envValue =
  (env: Record<string, string | undefined>): EnvValue =>
  (name) => {
    const raw = env[name];
    return raw === undefined || raw.trim() === "" ? undefined : raw.trim();
  };

/** DATABASE_URL and DATABASE_POOL_SIZE, all that `npm run migrate` needs. */
function databaseSettings(value: EnvValue, problems: string[]): DatabaseConfig {
  const databaseUrl = value("DATABASE_URL") ?? DEFAULT_DATABASE_URL;
  if (isPostgresUrl(databaseUrl)) {
    try {
      parsePostgresUrl(databaseUrl);
    } catch (error) {
      problems.push((error as Error).message);
    }
  } else if (!/^file:.+/.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with "file:" (SQLite) or "postgresql://" or "postgres://" (PostgreSQL)');
  }

  let databasePoolSize = 10;
  const poolRaw = value("DATABASE_POOL_SIZE");
  if (poolRaw !== undefined) {
    databasePoolSize = Number(poolRaw);
    if (!/^\d+$/.test(poolRaw) || databasePoolSize < 1 || databasePoolSize > 1000) {
      problems.push(`DATABASE_POOL_SIZE must be an integer from 1 to 1000 (got "${poolRaw}")`);
    }
  }
  return { databaseUrl, databasePoolSize };
}

export interface DatabaseConfig {
  databaseUrl: string;
  databasePoolSize: number;
}

/** The database settings alone: `npm run migrate` needs no JWT secret or port. */
export function loadDatabaseConfig(env: Record<string, string | undefined>): DatabaseConfig {
  const problems: string[] = [];
  const settings = databaseSettings(envValue(env), problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const value = envValue(env);

  const nodeEnvRaw = value("NODE_ENV") ?? "development";
  let nodeEnv: Config["nodeEnv"] = "development";
  if (nodeEnvRaw === "development" || nodeEnvRaw === "production" || nodeEnvRaw === "test") {
    nodeEnv = nodeEnvRaw;
  } else {
    problems.push(`NODE_ENV must be development, production or test (got "${nodeEnvRaw}")`);
  }

  let port = 4000;
  const portRaw = value("PORT");
  if (portRaw !== undefined) {
    port = Number(portRaw);
    if (!/^\d+$/.test(portRaw) || port > 65535) problems.push(`PORT must be an integer from 0 to 65535 (got "${portRaw}")`);
  }

  const host = value("HOST") ?? "127.0.0.1";

  const { databaseUrl, databasePoolSize } = databaseSettings(value, problems);

  let migrateOnStart = true;
  const migrateRaw = value("MIGRATE_ON_START")?.toLowerCase();
  if (migrateRaw !== undefined) {
    if (["true", "1", "yes"].includes(migrateRaw)) migrateOnStart = true;
    else if (["false", "0", "no"].includes(migrateRaw)) migrateOnStart = false;
    else problems.push(`MIGRATE_ON_START must be true or false (got "${migrateRaw}")`);
  }


  const jwtSecret = value("JWT_SECRET") ?? null;
  if (jwtSecret !== null && Buffer.byteLength(jwtSecret) < MIN_JWT_SECRET_BYTES) {
    problems.push(`JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes`);
  }
  if (jwtSecret === null && nodeEnv === "production") {
    problems.push(`JWT_SECRET is required when NODE_ENV=production (at least ${MIN_JWT_SECRET_BYTES} bytes)`);
  }

  let jwtTtlSeconds = 3600;
  const ttlRaw = value("JWT_TTL");
  if (ttlRaw !== undefined) {
    const parsed = parseDurationSeconds(ttlRaw);
    if (parsed === null) problems.push(`JWT_TTL must be a positive duration such as 3600, 15m, 1h or 7d (got "${ttlRaw}")`);
    else jwtTtlSeconds = parsed;
  }

  const logLevelRaw = value("LOG_LEVEL") ?? "info";
  const logLevel = LOG_LEVELS.find((level) => level === logLevelRaw);
  if (!logLevel) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${logLevelRaw}")`);

  const redisUrl = value("REDIS_URL") ?? null;
  if (redisUrl !== null && !/^rediss?:\/\/.+/.test(redisUrl)) {
    problems.push('REDIS_URL must start with "redis://" or "rediss://"');
  }

  const redisPrefix = value("REDIS_PREFIX") ?? "fleetql:";
  if (!/^[\w:.-]{1,64}$/.test(redisPrefix)) problems.push(`REDIS_PREFIX must be 1 to 64 letters, digits or _ : . - (got "${redisPrefix}")`);

  const positive = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || parsed <= 0) {
      problems.push(`${name} must be a positive number (got "${raw}")`);
      return fallback;
    }
    return parsed;
  };
  const authPerMinute = positive("AUTH_RATE_PER_MINUTE", DEFAULT_RATE_LIMITS.auth.burst);
  const refusedPerMinute = positive("REFUSED_KEY_RATE_PER_MINUTE", DEFAULT_RATE_LIMITS.refusedKeys.burst);
  const rateLimits: RateLimits = {
    device: {
      perSecond: positive("DEVICE_RATE_PER_SECOND", DEFAULT_RATE_LIMITS.device.perSecond),
      burst: positive("DEVICE_RATE_BURST", DEFAULT_RATE_LIMITS.device.burst),
    },
    auth: { perSecond: authPerMinute / 60, burst: authPerMinute },
    refusedKeys: { perSecond: refusedPerMinute / 60, burst: refusedPerMinute },
  };

  let trustProxyHops = 0;
  const hopsRaw = value("TRUST_PROXY_HOPS");
  if (hopsRaw !== undefined) {
    trustProxyHops = Number(hopsRaw);
    if (!/^\d+$/.test(hopsRaw) || trustProxyHops > 10) problems.push(`TRUST_PROXY_HOPS must be an integer from 0 to 10 (got "${hopsRaw}")`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    nodeEnv,
    port,
    host,
    databaseUrl,
    migrateOnStart,
    databasePoolSize,
    jwtSecret,
    jwtTtlSeconds,
    logLevel: logLevel ?? "info",
    redisUrl,
    redisPrefix,
    activityFlushMs: 1000,
    rateLimits,
    trustProxyHops,
  };
}
