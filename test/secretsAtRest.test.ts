// No API key or password is ever stored in plain text: read every byte of the SQLite files, or
// every row of every PostgreSQL table.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startTestServer } from "./helpers/server.js";
import { addDevice, expectData, gql, HEARTBEAT, PASSWORD, REPORT, signUpUser } from "./helpers/client.js";
import { query, type TestDatabase } from "./helpers/db.js";
import { parsePostgresUrl } from "../src/db/postgresUrl.js";
import { hashApiKey } from "../src/auth/apiKeys.js";

async function everythingStored(database: TestDatabase): Promise<Buffer> {
  if (database.dir) {
    const files = fs.readdirSync(database.dir).filter((f) => f.startsWith("fleetql.db"));
    return Buffer.concat(files.map((f) => fs.readFileSync(path.join(database.dir!, f))));
  }
  const { schema } = parsePostgresUrl(database.url);
  const tables = await query<{ table_name: string }>(database.url, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [schema]);
  expect(tables.length).toBeGreaterThanOrEqual(7);
  const rows: string[] = [];
  for (const { table_name } of tables) {
    for (const row of await query<{ text: string }>(database.url, `SELECT t::text AS text FROM "${table_name}" t`)) rows.push(row.text);
  }
  return Buffer.from(rows.join("\n"));
}

describe("secrets at rest", () => {
  it("keeps no API key or password in plain text anywhere in the database", async () => {
    const t = await startTestServer({ activityFlushMs: 10 });
    const owner = await signUpUser(t.url);
    const devices = [await addDevice(t.url, owner.token), await addDevice(t.url, owner.token)];
    const rotated = expectData(await gql(t.url, `mutation($id: ID!) { rotateDeviceKey(id: $id) { apiKey } }`, { id: devices[1]!.id }, { token: owner.token }));
    const keys = [devices[0]!.apiKey, devices[1]!.apiKey, rotated.rotateDeviceKey.apiKey];
    for (const key of [keys[0]!, keys[2]!]) {
      expectData(await gql(t.url, HEARTBEAT, { k: key }));
      expectData(await gql(t.url, REPORT, { k: key, r: [{ metric: "m", value: 1 }], b: "b" }));
    }

    const checkContents = (bytes: Buffer) => {
      for (const key of keys) {
        expect(bytes.includes(key)).toBe(false);
        expect(bytes.includes(key.slice(3, 30))).toBe(false); // no long fragment either
      }
      expect(bytes.includes(PASSWORD)).toBe(false);
    };
    checkContents(await everythingStored(t.database));
    // The digest of the current key is what is stored.
    expect((await everythingStored(t.database)).includes(hashApiKey(keys[2]!))).toBe(true);

    await t.server.stop();
    checkContents(await everythingStored(t.database));
    await t.database.drop();
  });
});
