// The folder holding FleetQL's package.json. Files FleetQL reads at run time (the SDL, the
// migrations) are found from here, so the same code runs from src/ under tsx and from the
// bundle in dist/ that `npm start` runs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "prisma"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`FleetQL's project folder was not found above ${start}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
