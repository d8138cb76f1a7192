// Fails when src/generated/graphql.ts no longer matches what codegen makes from the SDL.
import fs from "node:fs";
import path from "node:path";
import { generate } from "@graphql-codegen/cli";
import { parse } from "yaml";

const root = path.resolve(import.meta.dirname, "..");
const config = parse(fs.readFileSync(path.join(root, "codegen.yml"), "utf8"));
const outputs = await generate({ ...config, cwd: root, silent: true }, false);

let stale = 0;
for (const output of outputs) {
  const file = path.resolve(root, output.filename);
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
  if (current !== output.content) {
    console.error(`${path.relative(root, file)} is stale: run \`npm run codegen\` and commit the result.`);
    stale++;
  }
}
if (stale > 0) process.exit(1);
console.log(`generated code is current (${outputs.length} file${outputs.length === 1 ? "" : "s"})`);
