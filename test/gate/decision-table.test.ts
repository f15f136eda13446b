// The gate decision as a table: one row per rule, each with the facts that break it and the code
// it refuses with, and the boundaries (an expiry at this instant, a proof exactly at its age).
// Written for the mutants Stryker found no test for; see docs/architecture.md, Mutation testing.
import { describe, expect, it } from "vitest";
import { type Check, decide, type GateFacts, reasonOf } from "../../src/core/gate/decision.ts";
import type { ReasonCode } from "../../src/core/gate/reasons.ts";
import { gateFacts as facts, cmGrant as grant, NOW } from "./grant-fixture.ts";

const HOUR = 3_600_000;
const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR).toISOString();

const backupRequired = grant({}, { requires_backup_before_destroy: true });
const restoreRequired = grant({}, { requires_backup_before_destroy: true, requires_restore_proof: true });
const backup = (completedHoursAgo: number, maxAgeHours = 24) => ({
  workflow: "backup.yml",
  maxAgeHours,
  runs: [{ runId: 50, startedAt: ago(completedHoursAgo + 1), completedAt: ago(completedHoursAgo) }],
});
const restore = (startedHoursAgo: number, maxAgeHours = 168) => ({
  workflow: "restore-verify.yml",
  maxAgeHours,
  runs: [{ runId: 60, startedAt: ago(startedHoursAgo), completedAt: ago(startedHoursAgo - 0.5) }],
});

const rows: [string, Partial<GateFacts>, ReasonCode][] = [
  ["every check passes", {}, "ok"],
  [
    "a run on another branch than its dispatch",
    { run: { runId: 1, attempt: 1, event: "workflow_dispatch", headBranch: "dev", finished: false } },
    "branch_mismatch",
  ],
  [
    "a grant for another source only",
    { grants: [grant({}, { allowed_rebuild_sources: ["upstream_restore"] })] },
    "source_not_allowed",
  ],
  [
    "a suspended grant, when no grant is active",
    { grants: [grant({ state: "suspended" })] },
    "grant_suspended",
  ],
  [
    "an active grant and a suspended one: the active one decides",
    { grants: [grant({ state: "suspended", issueNumber: 8 }), grant()] },
    "ok",
  ],
  ["a grant expiring this instant", { grants: [grant({ expiresAt: NOW.toISOString() })] }, "grant_expired"],
  [
    "a grant expiring a millisecond later",
    { grants: [grant({ expiresAt: new Date(NOW.getTime() + 1).toISOString() })] },
    "ok",
  ],
  ["a grant with no expiry", { grants: [grant({ expiresAt: null })] }, "ok"],
  [
    "one approval of two",
    { grants: [grant({ approvals: { required: 2, by: ["mia"] } })] },
    "approvals_missing",
  ],
  ["two approvals of two", { grants: [grant({ approvals: { required: 2, by: ["mia", "max"] } })] }, "ok"],
  ["a grant whose approvals were never counted", { grants: [grant({ approvals: null })] }, "ok"],
  ["a backup required and no backup workflow", { grants: [backupRequired] }, "no_backup_workflow"],
  [
    "a backup required and none run",
    { grants: [backupRequired], backup: { ...backup(1), runs: [] } },
    "no_fresh_backup",
  ],
  ["a backup older than its bound", { grants: [backupRequired], backup: backup(25) }, "no_fresh_backup"],
  ["a backup exactly as old as its bound", { grants: [backupRequired], backup: backup(24) }, "ok"],
  ["a fresh backup", { grants: [backupRequired], backup: backup(1) }, "ok"],
  [
    "a restore proof required and no restore workflow",
    { grants: [restoreRequired], backup: backup(1) },
    "no_restore_workflow",
  ],
  [
    "a restore that started before the backup",
    { grants: [restoreRequired], backup: backup(1), restore: restore(5) },
    "no_restore_proof",
  ],
  [
    "a restore after the backup but older than its bound",
    { grants: [restoreRequired], backup: backup(1), restore: restore(200, 0.1) },
    "no_restore_proof",
  ],
  [
    "a fresh restore after a fresh backup",
    { grants: [restoreRequired], backup: backup(3), restore: restore(2) },
    "ok",
  ],
  [
    "a restore proof alone, with no backup required",
    { grants: [grant({}, { requires_restore_proof: true })], restore: restore(2) },
    "ok",
  ],
  [
    "a re-run after refused attempts",
    {
      run: { runId: 1, attempt: 3, event: "workflow_dispatch", headBranch: "main", finished: false },
      earlierAttempts: [
        { attempt: 1, allowed: false },
        { attempt: 2, allowed: false },
      ],
    },
    "ok",
  ],
  [
    "a re-run after an allowed attempt",
    {
      run: { runId: 1, attempt: 2, event: "workflow_dispatch", headBranch: "main", finished: false },
      earlierAttempts: [{ attempt: 1, allowed: true }],
    },
    "rerun_of_allowed",
  ],
  [
    "an attempt allowed later than this one does not refuse it",
    {
      run: { runId: 1, attempt: 2, event: "workflow_dispatch", headBranch: "main", finished: false },
      earlierAttempts: [{ attempt: 3, allowed: true }],
    },
    "ok",
  ],
];

describe("the gate decision, rule by rule", () => {
  it.each(rows)("%s: %s", (_what, over, code) => {
    const d = decide(facts(over));
    expect(reasonOf(d)).toBe(code);
    expect(d.allowed).toBe(code === "ok");
  });

  it.each(rows)(
    "%s: every check says what it judged, and the title names the outcome",
    (_what, over, code) => {
      const d = decide(facts(over));
      for (const c of d.checks) expect(c.message.length, c.name).toBeGreaterThan(10);
      const failing = d.checks.find((c) => !c.ok);
      expect(d.title).toBe(
        code === "ok"
          ? "Allowed: empty rebuild of cm/testing, approved by issue #7"
          : `Refused: ${failing?.message}`,
      );
    },
  );

  it("names the facts an operator needs in each refusal", () => {
    const message = (over: Partial<GateFacts>): string =>
      decide(facts(over)).checks.find((c: Check) => !c.ok)?.message ?? "";
    expect(
      message({
        run: { runId: 1, attempt: 1, event: "workflow_dispatch", headBranch: "dev", finished: false },
      }),
    ).toBe("the run is on dev but was dispatched from main; dev is not an allowed branch (allowed: main)");
    expect(message({ allowedBranches: ["release"] })).toBe(
      "main is not an allowed branch (allowed: release)",
    );
    expect(message({ grants: [grant({}, { allowed_rebuild_sources: ["upstream_restore"] })] })).toBe(
      "issue #7 allows upstream_restore for cm/testing, not empty",
    );
    expect(message({ grants: [grant({ approvals: { required: 2, by: ["mia"] } })] })).toContain(
      "1 of 2 approvals: mia",
    );
    expect(message({ grants: [backupRequired], backup: backup(25) })).toBe(
      "no successful backup.yml run for cm/testing in the last 24 h",
    );
    expect(message({ inFlight: { runId: 9, attempt: 2 } })).toContain(
      "run 9 (attempt 2) is already operating on cm/testing",
    );
  });
});
