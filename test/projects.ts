// Which tests run in which Vitest project (vitest.config.ts); the architecture test checks that
// the core project's tests load nothing but the core and plain fixtures.

/** Pure tests of src/core: no Probot, no stand-in, no store, no HTTP; together in seconds. */
export const CORE_TESTS = [
  "test/architecture/layers.test.ts",
  "test/config/load-change.test.ts",
  "test/evidence/inventory.test.ts",
  "test/evidence/phases.test.ts",
  "test/evidence/render.test.ts",
  "test/evidence/zip.test.ts",
  "test/gate/decision.test.ts",
  "test/gate/decision-table.test.ts",
  "test/gate/protection.test.ts",
  "test/gate/runs.test.ts",
  "test/handlers/untaken-claim.test.ts",
  "test/lanes/grant-plan.property.test.ts",
  "test/lanes/grant-plan.test.ts",
  "test/lanes/lifecycle-table.test.ts",
  "test/lanes/lifecycle.test.ts",
  "test/operations/state-machine.test.ts",
  "test/policy/block.test.ts",
  "test/policy/fence.test.ts",
];

/** Pipelines on a store of facts, with no HTTP and no Probot. */
export const PIPELINE_TESTS = ["test/pipelines/**/*.test.ts"];

/** Tests that start processes: the CLI, the image, the start script, the wait action. */
export const RELEASE_TESTS = [
  "test/release/**/*.test.ts",
  "test/cli/**/*.test.ts",
  "test/wait/**/*.test.ts",
  "test/service/env.test.ts",
];

/**
 * The app tests that run a second time on PostgreSQL (LANEGATE_TEST_STORE=postgres): every store
 * function is reached through them, so the store is checked on both drivers.
 */
export const POSTGRES_TESTS = [
  "test/gate/**/*.test.ts",
  "test/lanes/**/*.test.ts",
  "test/evidence/**/*.test.ts",
  "test/operations/**/*.test.ts",
  "test/handlers/**/*.test.ts",
  "test/pipelines/**/*.test.ts",
  "test/config/config.test.ts",
  "test/budgets/requests.test.ts",
  "test/checks/pull-request*.test.ts",
  "test/store/drivers.test.ts",
  "test/store/audit-search.test.ts",
  "test/store/grant-writes.test.ts",
  "test/store/operations.test.ts",
  "test/store/prepared.test.ts",
];

/** Everything else: the app under Probot against the stand-in (or nock). */
export const ALL_TESTS = ["test/**/*.test.ts"];
