import { defineConfig } from "vitest/config";
import { ALL_TESTS, CORE_TESTS, PIPELINE_TESTS, RELEASE_TESTS } from "./test/projects.ts";

// Four projects (test/projects.ts): `npm run test:core` runs the pure core alone in seconds;
// `npm test` runs them all.
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
      { extends: true, test: { name: "release", include: RELEASE_TESTS } },
    ],
  },
});
