// npm run replay -- --url <graphql url> --file <csv> [--api-key <key> | --email <e> --password <p> [--device <name>]]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { CsvShapeError, readingsFromCsv } from "./csvReadings.js";
import { callGraphQL, replay, ReplayError } from "./replay.js";

const USAGE = "usage: npm run replay -- --url <graphql url> --file <csv> [--api-key <key> | --email <email> --password <password> [--device <name>]]";

async function ask(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const answer = await callGraphQL(url, query, variables, { token });
  const error = answer.errors?.[0];
  return { data: answer.data ?? null, code: error?.extensions?.code, message: error?.message };
}

/** Signs the owner up, or logs in when the address is already registered. */
async function ownerToken(url: string, email: string, password: string): Promise<string> {
  const fields = `(email: $email, password: $password) { token }`;
  const vars = { email, password };
  const signUp = await ask(url, `mutation($email: EmailAddress!, $password: String!) { signUp${fields} }`, vars);
  if (signUp.data?.signUp) return signUp.data.signUp.token;
  if (signUp.code !== "EMAIL_TAKEN") throw new ReplayError(`signUp refused: ${signUp.code}: ${signUp.message}`);
  const logIn = await ask(url, `mutation($email: EmailAddress!, $password: String!) { logIn${fields} }`, vars);
  if (logIn.data?.logIn) return logIn.data.logIn.token;
  throw new ReplayError(`logIn refused: ${logIn.code}: ${logIn.message}`);
}

async function addDevice(url: string, token: string, name: string): Promise<{ id: string; apiKey: string }> {
  const added = await ask(url, `mutation($name: String!) { addDevice(name: $name) { apiKey device { id } } }`, { name }, token);
  if (added.data?.addDevice) return { id: added.data.addDevice.device.id, apiKey: added.data.addDevice.apiKey };
  if (added.code === "DEVICE_NAME_TAKEN") {
    throw new ReplayError(`you already have a device named "${name}"; its key was shown when it was added: pass --api-key, or another --device name`);
  }
  throw new ReplayError(`addDevice refused: ${added.code}: ${added.message}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      file: { type: "string" },
      "api-key": { type: "string" },
      email: { type: "string" },
      password: { type: "string" },
      device: { type: "string" },
    },
  });
  if (!values.url || !values.file) throw new ReplayError(USAGE);
  if (!values["api-key"] && !(values.email && values.password)) throw new ReplayError(`give --api-key, or --email and --password\n${USAGE}`);

  const text = fs.readFileSync(values.file, "utf8");
  const csv = readingsFromCsv(text);
  console.log(
    `${path.basename(values.file)}: ${csv.rows} rows, time from "${csv.timeColumn}", metrics ${csv.metrics.map((m) => `"${m}"`).join(", ")}` +
      (csv.skippedColumns.length ? `, skipped ${csv.skippedColumns.map((m) => `"${m}"`).join(", ")}` : "") +
      `: ${csv.readings.length} readings`,
  );

  let apiKey = values["api-key"];
  if (!apiKey) {
    const token = await ownerToken(values.url, values.email!, values.password!);
    const name = values.device ?? path.basename(values.file).replace(/\.[^.]+$/, "");
    const device = await addDevice(values.url, token, name);
    apiKey = device.apiKey;
    console.log(`added device "${name}" (${device.id}); its API key, shown only now: ${apiKey}`);
  }

  const result = await replay({
    url: values.url,
    apiKey,
    readings: csv.readings,
    log: (line) => console.error(line),
  });
  if (result.duplicates > 0) console.log(`${result.duplicates} of ${result.batches} batches were already stored and were not stored again`);
  console.log(`accepted ${result.accepted} readings`);
}

main().catch((error) => {
  const known = error instanceof ReplayError || error instanceof CsvShapeError || (error as NodeJS.ErrnoException).code === "ENOENT";
  console.error(`replay: ${known ? error.message : error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
