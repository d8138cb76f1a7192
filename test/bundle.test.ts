// `npm start` runs FleetQL built by scripts/bundle.mjs: one folder per build, named by its
// output, renamed into place whole, so that instances starting together never run a
// half-written build and an unchanged checkout writes nothing.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bundle, DIST } from "../scripts/bundle.mjs";
import { ROOT, START_SCRIPT } from "./helpers/process.js";

describe("the build npm start runs", () => {
  it("is one folder named by its output, shared by concurrent builds and left as it is when nothing changed", async () => {
    const [first, second, third] = await Promise.all([bundle(), bundle(), bundle()]);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(path.relative(DIST, first)).toMatch(/^[0-9a-f]{16}\/index\.js$/);
    const written = fs.statSync(first).mtimeMs;
    expect(await bundle()).toBe(first);
    expect(fs.statSync(first).mtimeMs).toBe(written);
    // No half-written folders are left behind.
    expect(fs.readdirSync(DIST).filter((name) => name.startsWith("."))).toEqual([]);
    expect(fs.statSync(path.dirname(first)).mode & 0o755).toBe(0o755);
  });

  it("is the same build whatever the working directory, so a start finds the one `npm install` made", async () => {
    const fromRoot = await bundle();
    const cwd = process.cwd();
    process.chdir(os.tmpdir());
    try {
      expect(await bundle()).toBe(fromRoot);
    } finally {
      process.chdir(cwd);
    }
  });

  it("is what `npm start` runs, and what the tests start as a process", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
    expect(scripts.start).toBe("exec node scripts/start.mjs");
    expect(path.relative(ROOT, START_SCRIPT)).toBe(path.join("scripts", "start.mjs"));
    expect(scripts.postinstall).toMatch(/node scripts\/bundle\.mjs$/);
  });
});
