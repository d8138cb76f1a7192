import { describe, expect, it } from "vitest";
import { DateTimeResolver } from "graphql-scalars";
import { DateTimeScalar, parseUtcDateTime } from "../../src/schema/dateTime.js";

/** What graphql-scalars makes of a value: its time, or its error message. */
function scalars(value: string): number | string {
  try {
    return (DateTimeResolver.parseValue(value) as Date).getTime();
  } catch (error) {
    return (error as Error).message;
  }
}

function fleetql(value: string): number | string {
  try {
    return (DateTimeScalar.parseValue(value) as Date).getTime();
  } catch (error) {
    return (error as Error).message;
  }
}

const EDGE_CASES = [
  "2026-12-04T07:10:41.123Z",
  "2026-12-04T07:10:41Z",
  "2026-12-04T07:10:41.1Z",
  "2026-12-04T07:10:41.12Z",
  "2026-12-04T07:10:41.123456Z",
  "2026-12-04t07:10:41z",
  "2026-12-04T07:10:41+02:00",
  "2026-12-04T07:10:41.5-11:30",
  "2024-02-29T00:00:00Z",
  "2023-02-29T00:00:00Z",
  "1900-02-29T00:00:00Z",
  "2000-02-29T00:00:00Z",
  "2026-04-31T00:00:00Z",
  "2026-12-31T23:59:59.999Z",
  "2016-12-31T23:59:60Z",
  "2026-13-01T00:00:00Z",
  "2026-00-10T00:00:00Z",
  "2026-01-00T00:00:00Z",
  "2026-01-01T24:00:00Z",
  "2026-01-01T23:60:00Z",
  "0000-01-01T00:00:00Z",
  "0099-12-31T23:59:59Z",
  "0100-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999Z",
  "2026-01-01T00:00:00",
  "2026-01-01 00:00:00Z",
  "2026-01-01T00:00:00.Z",
  "+2026-01-01T00:00:00Z",
  "2026-1-01T00:00:00Z",
  "٢٠٢٦-01-01T00:00:00Z",
  "",
  "now",
];

describe("DateTime scalar", () => {
  it("accepts and refuses exactly what graphql-scalars does, with the same instants and messages", () => {
    for (const value of EDGE_CASES) expect([value, fleetql(value)]).toEqual([value, scalars(value)]);
  });

  it("agrees with graphql-scalars on many random date-times", () => {
    const pad = (n: number, width: number) => String(n).padStart(width, "0");
    // A fixed seed (mulberry32), so that a failure can be replayed.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    for (let i = 0; i < 20_000; i++) {
      const r = (n: number) => Math.floor(random() * n);
      const fraction = [``, `.${r(10)}`, `.${pad(r(100), 2)}`, `.${pad(r(1000), 3)}`][r(4)];
      const value = `${pad(r(10_000), 4)}-${pad(r(14), 2)}-${pad(r(33), 2)}T${pad(r(26), 2)}:${pad(r(62), 2)}:${pad(r(62), 2)}${fraction}Z`;
      expect([value, fleetql(value)]).toEqual([value, scalars(value)]);
    }
  });

  it("takes the fast path for the canonical form only", () => {
    expect(parseUtcDateTime("2026-12-04T07:10:41.123Z")?.toISOString()).toBe("2026-12-04T07:10:41.123Z");
    expect(parseUtcDateTime("2026-12-04T07:10:41.5Z")?.toISOString()).toBe("2026-12-04T07:10:41.500Z");
    expect(parseUtcDateTime("2026-12-04T07:10:41+00:00")).toBeNull();
    expect(parseUtcDateTime("0050-01-01T00:00:00Z")).toBeNull();
  });
});
