import { defineConfig } from "vitest/config";
import { ALL_TESTS, CORE_TESTS, PIPELINE_TESTS, POSTGRES_TESTS, RELEASE_TESTS } from "./test/projects.ts";
import { postgresForTests } from "./test/support/postgres.ts";

// Five projects (test/projects.ts): `npm run test:core` runs the pure core alone in seconds;
// `npm test` runs them all. The `postgres` project runs the store-reaching app tests again on
// PostgreSQL; without a server it is left out with the reason printed (in CI it fails instead).
const postgres = await postgresForTests();

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    projects: [
      // Pure modules share nothing worth isolating: threads without isolation start fastest.
      { extends: true, test: { name: "core", include: CORE_TESTS, pool: "threads", isolate: false } },
      { extends: true, test: { name: "pipelines", include: PIPELINE_TESTS } },
      {
        extends: true,
        test: {
          name: "app",
          include: ALL_TESTS,
          exclude: [...CORE_TESTS, ...PIPELINE_TESTS, ...RELEASE_TESTS],
        },
      },
      ...(postgres.skip
        ? []
        : [
            {
              extends: true as const,
              test: {
                name: "postgres",
                include: POSTGRES_TESTS,
                exclude: CORE_TESTS,
                // A small pool per test app: a test may run dozens of apps, on one server.
                env: { LANEGATE_TEST_STORE: "postgres", DATABASE_POOL_MAX: "4" },
                globalSetup: ["test/support/postgres-setup.ts"],
              },
            },
          ]),
      // Tests that start processes, a dozen one after another in some: seconds each on a busy machine.
      { extends: true, test: { name: "release", include: RELEASE_TESTS, testTimeout: 120_000 } },
    ],
  },
});
