// No API key or password is ever stored in plain text: read every byte of the database files.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { startTestServer } from "./helpers/server.js";
import { addDevice, expectData, gql, HEARTBEAT, PASSWORD, REPORT, signUpUser } from "./helpers/client.js";
import { hashApiKey } from "../src/auth/apiKeys.js";

describe("secrets at rest", () => {
  it("keeps no API key or password in plain text anywhere in the database files", async () => {
    const t = await startTestServer({ activityFlushMs: 10 });
    const owner = await signUpUser(t.url);
    const devices = [await addDevice(t.url, owner.token), await addDevice(t.url, owner.token)];
    const rotated = expectData(await gql(t.url, `mutation($id: ID!) { rotateDeviceKey(id: $id) { apiKey } }`, { id: devices[1]!.id }, { token: owner.token }));
    const keys = [devices[0]!.apiKey, devices[1]!.apiKey, rotated.rotateDeviceKey.apiKey];
    for (const key of [keys[0]!, keys[2]!]) {
      expectData(await gql(t.url, HEARTBEAT, { k: key }));
      expectData(await gql(t.url, REPORT, { k: key, r: [{ metric: "m", value: 1 }], b: "b" }));
    }
    const files = fs.readdirSync(t.dir).filter((f) => f.startsWith("fleetql.db"));
    const readAll = () => Buffer.concat(files.map((f) => fs.readFileSync(`${t.dir}/${f}`)));

    const checkContents = (bytes: Buffer) => {
      for (const key of keys) {
        expect(bytes.includes(key)).toBe(false);
        expect(bytes.includes(key.slice(3, 30))).toBe(false); // no long fragment either
      }
      expect(bytes.includes(PASSWORD)).toBe(false);
    };
    checkContents(readAll());
    // The digest of the current key is what is stored.
    expect(readAll().includes(hashApiKey(keys[2]!))).toBe(true);

    const dir = t.dir;
    await t.server.stop();
    checkContents(Buffer.concat(fs.readdirSync(dir).filter((f) => f.startsWith("fleetql.db")).map((f) => fs.readFileSync(`${dir}/${f}`))));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
