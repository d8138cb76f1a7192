// The benchmark's scenarios run and answer correctly. Never a time: numbers live in
// bench/results.md, measured by `npm run bench`.
import { describe, expect, it } from "vitest";
import { formatTable, runBench } from "../bench/run.js";

describe("benchmark smoke", () => {
  it("runs every scenario, each answering with the expected status", async () => {
    const report = await runBench({ warmupSeconds: 0, roundSeconds: 1, rounds: 1, connections: 2, soakSeconds: 0, resultsFile: null, log: () => {} });
    expect(report.scenarios.map((s) => s.name)).toEqual([
      "raw node:http, fixed JSON",
      "bare Apollo standalone, constant mutation",
      "FleetQL heartbeat, valid key",
      "FleetQL reportReadings, 500 readings a call",
      "raw better-sqlite3 insert, 500 rows a transaction",
      "FleetQL device.readings(first: 100), JWT",
      "FleetQL refusing an invalid key (403)",
      "FleetQL refusing a well-formed unknown key (403)",
    ]);
    for (const scenario of report.scenarios) {
      expect(scenario.rate, scenario.name).toBeGreaterThan(0);
      expect(scenario.unexpected, scenario.name).toBe(0);
    }
    expect(formatTable(report)).toContain("of bare Apollo");
  }, 120_000);
});
