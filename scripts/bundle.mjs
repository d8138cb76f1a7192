// Bundles FleetQL's TypeScript into dist/ for `npm start`: plain JavaScript that Node runs
// without a loader. Under tsx every process also carries tsx's module hooks in a thread of
// their own, about 35 MB of RSS for nothing once started. Takes well under a second, so
// `npm start` bundles every time and never runs stale code. Packages stay in node_modules;
// the PostgreSQL code is split into a chunk of its own, loaded only for a postgresql:// URL.
// Plain JavaScript itself, so that it runs before anything is compiled.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUNDLE_DIR = path.join(ROOT, "dist");
export const BUNDLE_ENTRY = path.join(BUNDLE_DIR, "index.js");

export async function bundle() {
  await build({
    entryPoints: [path.join(ROOT, "src", "index.ts")],
    outdir: BUNDLE_DIR,
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    // Maps for debugging (`NODE_OPTIONS=--enable-source-maps`); off by default, since mapping
    // every error's stack would slow refusals down.
    sourcemap: true,
    logLevel: "warning",
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle();
}
