import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_DATABASE_URL, loadConfig, loadDatabaseConfig, parseDurationSeconds } from "../../src/config.js";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("configuration was accepted");
}

describe("loadConfig", () => {
  it("needs nothing in development", () => {
    expect(loadConfig({})).toMatchObject({
      nodeEnv: "development",
      port: 4000,
      host: "127.0.0.1",
      databaseUrl: DEFAULT_DATABASE_URL,
      jwtSecret: null,
      jwtTtlSeconds: 3600,
      logLevel: "info",
      redisUrl: null,
      migrateOnStart: true,
      databasePoolSize: 10,
    });
  });

  it("takes a PostgreSQL URL with a schema, and refuses a schema that is not a plain identifier", () => {
    expect(loadConfig({ DATABASE_URL: "postgresql://fleet@db:5432/fleet?schema=fleet_1", MIGRATE_ON_START: "false", DATABASE_POOL_SIZE: "25" })).toMatchObject({
      databaseUrl: "postgresql://fleet@db:5432/fleet?schema=fleet_1",
      migrateOnStart: false,
      databasePoolSize: 25,
    });
    const found = problems({ DATABASE_URL: 'postgresql://db/fleet?schema=x";drop', MIGRATE_ON_START: "sometimes", DATABASE_POOL_SIZE: "0" });
    expect(found.join("\n")).toMatch(/schema[\s\S]*DATABASE_POOL_SIZE[\s\S]*MIGRATE_ON_START/);
  });

  it("gives `npm run migrate` the database settings alone, without needing a JWT secret or a port", () => {
    expect(loadDatabaseConfig({ NODE_ENV: "production", PORT: "eighty", DATABASE_URL: "postgresql://db/fleet" })).toEqual({
      databaseUrl: "postgresql://db/fleet",
      databasePoolSize: 10,
    });
    expect(() => loadDatabaseConfig({ DATABASE_URL: "mysql://db" })).toThrow(ConfigError);
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "8080",
      HOST: "0.0.0.0",
      DATABASE_URL: "file:/tmp/x.db",
      JWT_SECRET: "s".repeat(32),
      JWT_TTL: "15m",
      LOG_LEVEL: "debug",
      NODE_ENV: "production",
    });
    expect(config).toMatchObject({ port: 8080, host: "0.0.0.0", databaseUrl: "file:/tmp/x.db", jwtTtlSeconds: 900, logLevel: "debug", nodeEnv: "production" });
  });

  it("requires a JWT_SECRET of at least 32 bytes in production", () => {
    expect(problems({ NODE_ENV: "production" })).toEqual(["JWT_SECRET is required when NODE_ENV=production (at least 32 bytes)"]);
    expect(problems({ JWT_SECRET: "short" })).toEqual(["JWT_SECRET must be at least 32 bytes"]);
  });

  it("reports every problem at once", () => {
    const found = problems({ PORT: "eighty", DATABASE_URL: "mysql://x", JWT_TTL: "soon", LOG_LEVEL: "loud", NODE_ENV: "staging", REDIS_URL: "http://x" });
    expect(found).toHaveLength(6);
    expect(found.join("\n")).toMatch(/PORT[\s\S]*DATABASE_URL[\s\S]*JWT_TTL[\s\S]*LOG_LEVEL/);
  });

  it("refuses a port out of range", () => {
    expect(problems({ PORT: "70000" })).toHaveLength(1);
  });
});

describe("parseDurationSeconds", () => {
  it.each([
    ["3600", 3600],
    ["90s", 90],
    ["15m", 900],
    ["1h", 3600],
    ["7d", 604800],
  ])("reads %s", (text, seconds) => expect(parseDurationSeconds(text)).toBe(seconds));

  it.each(["", "0", "-5", "1w", "1.5h", "h"])("refuses %j", (text) => expect(parseDurationSeconds(text)).toBeNull());
});
