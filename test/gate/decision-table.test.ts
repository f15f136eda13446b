// The gate decision as a table: one row per rule, each with the facts that break it and the code
// it refuses with, and the boundaries (an expiry at this instant, a proof exactly at its age).
// Written for the mutants Stryker found no test for; see docs/architecture.md, Mutation testing.
import { describe, expect, it } from "vitest";
import {
  CHECK_NAMES,
  type Check,
  type CheckName,
  decide,
  type GateFacts,
  reasonOf,
} from "../../src/core/gate/decision.ts";
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

/** What is judged, the facts that differ from a run every check passes, the code, the check that fails. */
const rows: [string, Partial<GateFacts>, ReasonCode, CheckName?][] = [
  ["every check passes", {}, "ok"],
  [
    "a run on another branch than its dispatch",
    { run: { runId: 1, attempt: 1, event: "workflow_dispatch", headBranch: "dev", finished: false } },
    "branch_mismatch",
    "dispatch",
  ],
  [
    "a grant for another source only",
    { grants: [grant({}, { allowed_rebuild_sources: ["upstream_restore"] })] },
    "source_not_allowed",
    "grant",
  ],
  [
    "a suspended grant, when no grant is active",
    { grants: [grant({ state: "suspended" })] },
    "grant_suspended",
    "grant_in_force",
  ],
  [
    "an active grant and a suspended one: the active one decides",
    { grants: [grant({ state: "suspended", issueNumber: 8 }), grant()] },
    "ok",
  ],
  [
    "a grant expiring this instant",
    { grants: [grant({ expiresAt: NOW.toISOString() })] },
    "grant_expired",
    "grant_in_force",
  ],
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
    "grant_in_force",
  ],
  ["two approvals of two", { grants: [grant({ approvals: { required: 2, by: ["mia", "max"] } })] }, "ok"],
  ["a grant whose approvals were never counted", { grants: [grant({ approvals: null })] }, "ok"],
  ["a backup required and no backup workflow", { grants: [backupRequired] }, "no_backup_workflow", "proofs"],
  [
    "a backup required and none run",
    { grants: [backupRequired], backup: { ...backup(1), runs: [] } },
    "no_fresh_backup",
    "proofs",
  ],
  [
    "a backup older than its bound",
    { grants: [backupRequired], backup: backup(25) },
    "no_fresh_backup",
    "proofs",
  ],
  ["a backup exactly as old as its bound", { grants: [backupRequired], backup: backup(24) }, "ok"],
  ["a fresh backup", { grants: [backupRequired], backup: backup(1) }, "ok"],
  [
    "a restore proof required and no restore workflow",
    { grants: [restoreRequired], backup: backup(1) },
    "no_restore_workflow",
    "proofs",
  ],
  [
    "a restore that started before the backup",
    { grants: [restoreRequired], backup: backup(1), restore: restore(5) },
    "no_restore_proof",
    "proofs",
  ],
  [
    "a restore after the backup but older than its bound",
    { grants: [restoreRequired], backup: backup(1), restore: restore(200, 0.1) },
    "no_restore_proof",
    "proofs",
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
    "attempt",
  ],
  [
    "an attempt allowed later than this one does not refuse it",
    {
      run: { runId: 1, attempt: 2, event: "workflow_dispatch", headBranch: "main", finished: false },
      earlierAttempts: [{ attempt: 3, allowed: true }],
    },
    "ok",
  ],
  ["a run started by a push", { run: { ...facts().run, event: "push" } }, "not_dispatched", "dispatch"],
  [
    "a run two dispatches could have started",
    { joinProblem: "two dispatches could have started this run" },
    "ambiguous_dispatch",
    "dispatch",
  ],
  ["a run no dispatch joins", { dispatch: null }, "no_dispatch", "dispatch"],
  ["a run already finished", { run: { ...facts().run, finished: true } }, "run_finished", "dispatch"],
  ["a run on no branch", { run: { ...facts().run, headBranch: null } }, "branch_mismatch", "dispatch"],
  ["a branch the config does not allow", { allowedBranches: ["release"] }, "branch_not_allowed", "dispatch"],
  ["a lane nothing names", { knownLanes: new Set<string>() }, "unknown_lane", "dispatch"],
  [
    "inputs that make no request",
    { dispatch: { branch: "main", inputs: { context: "cm" } } },
    "bad_inputs",
    "dispatch",
  ],
  ["no grant at all", { grants: [] }, "no_grant", "grant"],
  ["a pending grant", { grants: [grant({ state: "pending", approvals: null })] }, "grant_pending", "grant"],
  [
    "a suspended grant for another source only",
    { grants: [grant({ state: "suspended" }, { allowed_rebuild_sources: ["upstream_restore"] })] },
    "no_grant",
    "grant",
  ],
  [
    "a claim held back before it had a policy",
    { grants: [grant({ state: "invalid", policy: null })] },
    "grant_invalid",
    "grant",
  ],
  [
    "a claim held back before it had a policy, behind a pending grant for another source",
    {
      grants: [
        grant({ state: "pending", issueNumber: 8 }, { allowed_rebuild_sources: ["upstream_restore"] }),
        grant({ state: "invalid", policy: null }),
      ],
    },
    "grant_invalid",
    "grant",
  ],
  [
    "an active claim with no policy, before an active grant for another source",
    {
      grants: [
        grant({ policy: null }),
        grant({ issueNumber: 8 }, { allowed_rebuild_sources: ["upstream_restore"] }),
      ],
    },
    "source_not_allowed",
    "grant",
  ],
  [
    "a fresh backup listed after an old one",
    {
      grants: [backupRequired],
      backup: { ...backup(1), runs: [...backup(30).runs, ...backup(1).runs] },
    },
    "ok",
  ],
  [
    "a restore that started the instant the backup finished",
    { grants: [restoreRequired], backup: backup(3), restore: restore(3) },
    "no_restore_proof",
    "proofs",
  ],
  [
    "a restore proof alone and no restore workflow",
    { grants: [grant({}, { requires_restore_proof: true })] },
    "no_restore_workflow",
    "proofs",
  ],
  [
    "a wrong confirmation phrase",
    {
      dispatch: {
        branch: "main",
        inputs: { context: "cm", instance: "testing", source: "empty", confirmation: "wipe it" },
      },
    },
    "wrong_confirmation",
    "confirmation",
  ],
  ["another run on the lane", { inFlight: { runId: 9, attempt: 1 } }, "lane_busy", "single_flight"],
  [
    "an attempt whose own allowance is on record (a decision made again)",
    {
      run: { ...facts().run, attempt: 2 },
      earlierAttempts: [{ attempt: 2, allowed: true }],
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

  it.each(rows)(
    "%s: the seven checks run in order, and the one named fails first",
    (_what, over, _code, check) => {
      const d = decide(facts(over));
      expect(d.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
      expect(d.checks.find((c) => !c.ok)?.name).toBe(check);
      for (const c of d.checks) expect(c.ok, c.name).toBe(c.code === "ok");
    },
  );

  it("refuses every later check with no_request when the run makes no request", () => {
    const d = decide(facts({ dispatch: { branch: "main", inputs: { context: "cm" } } }));
    expect(d.checks.map((c) => c.code)).toEqual(["bad_inputs", ...Array(6).fill("no_request")]);
  });

  it("refuses the checks that need a grant with no_grant, and judges the others", () => {
    const d = decide(facts({ grants: [] }));
    expect(d.checks.map((c) => c.code)).toEqual([
      "ok",
      "no_grant",
      "no_grant",
      "no_grant",
      "no_grant",
      "ok",
      "ok",
    ]);
  });

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

  it("names the facts of the other refusals: the event, the lane, each branch, source, grant and approver", () => {
    const message = (over: Partial<GateFacts>): string =>
      decide(facts(over)).checks.find((c: Check) => !c.ok)?.message ?? "";
    expect(message({ run: { ...facts().run, event: "push" } })).toContain("push");
    expect(message({ knownLanes: new Set<string>() })).toContain("cm/testing");
    expect(message({ grants: [] })).toMatch(/\bcm\/testing\b/);
    // Lists are read item by item: each name must stand as a word of its own.
    const branches = message({ allowedBranches: ["release", "hotfix"] });
    expect(branches).toMatch(/\brelease\b/);
    expect(branches).toMatch(/\bhotfix\b/);
    const sources = message({
      grants: [grant({}, { allowed_rebuild_sources: ["upstream_restore", "backup_restore"] })],
    });
    expect(sources).toMatch(/\bupstream_restore\b/);
    expect(sources).toMatch(/\bbackup_restore\b/);
    const approvals = message({ grants: [grant({ approvals: { required: 3, by: ["mia", "max"] } })] });
    expect(approvals).toMatch(/\bmia\b/);
    expect(approvals).toMatch(/\bmax\b/);
    const held = message({
      grants: [
        grant({ state: "pending", reason: "waiting" }),
        grant({ issueNumber: 8, state: "conflict", reason: "another issue holds it" }),
      ],
    });
    for (const fact of ["#7", "pending", "#8", "conflict"]) expect(held).toContain(fact);
    const inputs = { context: "cm", instance: "testing", source: "empty", confirmation: "wipe it" };
    expect(message({ dispatch: { branch: "main", inputs } })).toContain("bootstrap cm testing");
  });
});
