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
  // esbuild has printed what it could not compile; a folder FleetQL may not write to is the
  // other common cause, which the folder's owner can fix.
  const code = /** @type {{ code?: string }} */ (error).code;
  const advice = code === "EACCES" || code === "EPERM" || code === "EROFS" ? "; run `npm run bundle` as the owner of the folder" : "";
  console.error(`FleetQL cannot start: its code could not be built into dist/ (${error instanceof Error ? error.message.split("\n")[0] : String(error)})${advice}`);
  process.exit(1);
}
await import(pathToFileURL(entry).href);
