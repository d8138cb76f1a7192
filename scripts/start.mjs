// `npm start`: builds FleetQL (scripts/bundle.mjs, writing only what changed) and runs it in
// this very process on plain Node, so signals reach the server itself.
import { pathToFileURL } from "node:url";
import { bundle, stopBuilding } from "./bundle.mjs";

let entry;
try {
  entry = await bundle();
  // The server has no more use for esbuild's child process.
  await stopBuilding();
} catch (error) {
  console.error(
    `FleetQL cannot start: its code could not be built into dist/ (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); ` +
      "run `npm run bundle` as the owner of the folder",
  );
  process.exit(1);
}
await import(pathToFileURL(entry).href);
