import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

// The integration suite runs twice: on SQLite, and on PostgreSQL at FLEETQL_TEST_POSTGRES_URL
// (each test file in a schema of its own). Without that URL the PostgreSQL run is skipped, and
// says so; under CI it is required.
const postgresUrl = process.env.FLEETQL_TEST_POSTGRES_URL;
if (!postgresUrl) {
  const message = "FLEETQL_TEST_POSTGRES_URL is not set: the PostgreSQL suite is SKIPPED (set it to e.g. postgresql://postgres@127.0.0.1:5432/test)";
  if (process.env.CI) throw new Error(`${message}; CI must run it`);
  console.warn(`\n*** ${message} ***\n`);
}

// Files that do not touch a database, or that test what only SQLite has, run once.
const ONCE = [
  "test/unit/**",
  "test/sqlite/**",
  "test/apolloIntegration.test.ts",
  "test/benchSmoke.test.ts",
  "test/bundle.test.ts",
  "test/schemaCoverage.test.ts",
  "test/schemaAgreement.test.ts",
  "test/startup.test.ts",
];

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
    pool: "forks",
    // One file at a time: the benchmark smoke saturates the machine, and the two-instance
    // tests measure propagation within a second.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true as const,
        test: { name: "sqlite", include: ["test/**/*.test.ts"], exclude: ["test/postgresql/**"], env: { FLEETQL_TEST_PROVIDER: "sqlite" } },
      },
      ...(postgresUrl
        ? [
            {
              extends: true as const,
              test: {
                name: "postgresql",
                include: ["test/**/*.test.ts"],
                exclude: ONCE,
                env: { FLEETQL_TEST_PROVIDER: "postgresql", FLEETQL_TEST_POSTGRES_URL: postgresUrl },
              },
            },
          ]
        : []),
    ],
  },
});
