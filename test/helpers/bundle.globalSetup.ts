// Builds dist/ once before the suite, as `npm start` does before it runs: the tests that start
// FleetQL as a process run the bundle `npm start` runs.
import { bundle } from "../../scripts/bundle.mjs";

export default async function setup(): Promise<void> {
  await bundle();
}
