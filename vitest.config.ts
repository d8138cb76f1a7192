import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  // graphql 16 ships CommonJS (main) and ESM (module) builds; Node loads the CommonJS one for
  // Apollo and graphql-tools, so the tests' own imports must resolve to the same copy.
  resolve: {
    alias: [
      { find: /^graphql$/, replacement: require.resolve("graphql") },
      { find: /^@jest\/globals$/, replacement: fileURLToPath(new URL("./test/helpers/jestGlobals.ts", import.meta.url)) },
    ],
  },
  test: {
    // Processed by vitest (not loaded by Node) so that its @jest/globals import finds vitest.
    server: { deps: { inline: ["@apollo/server-integration-testsuite"] } },
    include: ["test/**/*.test.ts"],
    pool: "forks",
    // One file at a time: the benchmark smoke saturates the machine, and the two-instance
    // tests measure propagation within a second.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
