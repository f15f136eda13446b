import { defineConfig } from "vitest/config";
import { CORE_TESTS } from "./test/projects.ts";

// The core project alone, for Stryker (npm run mutation), whose runner runs every project of a
// config: the mutants are in the core's rules, and only the core's tests are fast enough to run
// once per mutant. The architecture test reads files and judges no rule, so it is left out.
export default defineConfig({
  test: {
    include: CORE_TESTS.filter((f) => !f.startsWith("test/architecture/")),
    pool: "threads",
  },
});
