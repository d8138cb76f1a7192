// Structured JSON logs. Secrets never reach a log line: passwords, tokens and API keys are
// redacted wherever FleetQL might log them.
import { pino } from "pino";
import type { LogLevel } from "./config.js";

export type Logger = pino.Logger;

export const REDACTED_PATHS = [
  "password",
  "*.password",
  "apiKey",
  "*.apiKey",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "variables.*",
  "*.variables.*",
];

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: "fleetql" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  });
}
