// Builds FleetQL's TypeScript into plain JavaScript for `npm start`, so the server runs on
// plain Node: under tsx every process would also carry tsx's module hooks in a thread of their
// own, about 40 MB of RSS for nothing once started.
//
// Each build goes to a folder of its own, dist/<hash of its output>/, written to a temporary
// folder and renamed into place: instances starting together from one checkout never run a
// half-written file, a start whose code has not changed writes nothing (so a read-only install
// starts, once `npm ci` has built it), and a start after an edit never runs stale code.
// Packages stay in node_modules; the PostgreSQL code is a chunk of its own, loaded only for a
// postgresql:// URL. The build still reads src/**/*.graphql and prisma/ at run time.
// Plain JavaScript itself, so that it runs before anything is compiled.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, stop as stopBuilding } from "esbuild";

export { stopBuilding };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = path.join(ROOT, "dist");
/** Builds unused for this long are removed: an instance that started from one has loaded it. */
const KEEP_OLD_BUILDS_MS = 10 * 60 * 1000;
/** However old, the newest builds stay, the current one among them. */
const KEEP_NEWEST_BUILDS = 3;

/**
 * Builds FleetQL, writing only a build not already there; returns the file to run. esbuild
 * serves builds from a child process: call `stopBuilding` when done building.
 */
export async function bundle() {
  const outdir = path.join(DIST, "build");
  const result = await build({
    // The output names source paths relative to this: from the root, whatever the caller's
    // working directory, so that every start finds the build `npm install` made.
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, "src", "index.ts")],
    outdir,
    write: false,
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    // Written beside the code for `NODE_OPTIONS=--enable-source-maps` when debugging; Node
    // ignores them otherwise, since mapping every error's stack would slow refusals down.
    sourcemap: true,
    logLevel: "warning",
  });
  const files = result.outputFiles
    .map((file) => ({ name: path.relative(outdir, file.path), contents: file.contents }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const hash = createHash("sha256");
  for (const file of files) hash.update(file.name).update("\0").update(file.contents);
  const id = hash.digest("hex").slice(0, 16);
  const target = path.join(DIST, id);
  const entry = path.join(target, "index.js");
  if (fs.existsSync(entry)) {
    markInUse(target);
    return entry;
  }

  fs.mkdirSync(DIST, { recursive: true });
  const temporary = fs.mkdtempSync(path.join(DIST, `.${id}-`));
  try {
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(temporary, file.name)), { recursive: true });
      fs.writeFileSync(path.join(temporary, file.name), file.contents);
    }
    // mkdtemp makes the folder private, and files follow the umask; a build is for whoever
    // may run FleetQL.
    for (const file of files) fs.chmodSync(path.join(temporary, file.name), 0o644);
    fs.chmodSync(temporary, 0o755);
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
    // Another start renamed the same build into place first.
    if (!fs.existsSync(entry)) throw error;
  }
  removeOldBuilds(id);
  return entry;
}

/** A build's folder time says when a start last used it, so that it is not removed under one. */
function markInUse(folder) {
  try {
    const now = new Date();
    fs.utimesSync(folder, now, now);
  } catch {
    // A read-only install: nothing there removes builds either.
  }
}

/** Removes builds no start has used for a while, always keeping the newest few. */
function removeOldBuilds(current) {
  const now = Date.now();
  const builds = [];
  for (const name of fs.readdirSync(DIST)) {
    if (name === current) continue;
    try {
      builds.push({ name, usedAt: fs.statSync(path.join(DIST, name)).mtimeMs });
    } catch {
      // Removed by another start meanwhile.
    }
  }
  builds.sort((a, b) => b.usedAt - a.usedAt);
  for (const { name, usedAt } of builds.slice(KEEP_NEWEST_BUILDS - 1)) {
    if (now - usedAt > KEEP_OLD_BUILDS_MS) fs.rmSync(path.join(DIST, name), { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(path.relative(ROOT, await bundle()));
  await stopBuilding();
}
