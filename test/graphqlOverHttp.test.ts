// The graphql-http package's server audits (the GraphQL-over-HTTP spec): every MUST passes.
// SHOULDs that FleetQL does not meet are listed, with their reasons, in README.md.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverAudits } from "graphql-http";
import { startTestServer, type TestServer } from "./helpers/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

// graphql-http's audits are built when the suite is defined; the URL is read when each runs.
const audits = serverAudits({ url: () => t.url, fetchFn: fetch });

describe("GraphQL-over-HTTP server audits", () => {
  for (const audit of audits.filter((a) => a.name.startsWith("MUST"))) {
    it(`${audit.id} ${audit.name}`, async () => {
      const result = await audit.fn();
      expect(result.status, "reason" in result ? result.reason : "").toBe("ok");
    });
  }

  it("lists the SHOULD audits FleetQL does not meet in README.md", async () => {
    const failing: string[] = [];
    for (const audit of audits.filter((a) => !a.name.startsWith("MUST"))) {
      const result = await audit.fn();
      if (result.status !== "ok") failing.push(audit.id);
    }
    const readme = (await import("node:fs")).readFileSync(new URL("../README.md", import.meta.url), "utf8");
    for (const id of failing) expect(readme, `README.md should explain audit ${id}`).toContain(id);
  });
});
