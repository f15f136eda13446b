// The rules over recorded runs, as tables: which report of a run stands, which refused run is
// cancelled, which runs prove.
import { describe, expect, it } from "vitest";
import {
  type CancelFacts,
  cancelsRun,
  type ProofCandidate,
  proofsAmong,
  type RunReport,
  replacesReport,
} from "../../src/core/gate/runs.ts";

describe("which report of a run stands, against attempt 2 updated at 10:00", () => {
  const recorded: RunReport = { attempt: 2, updatedAt: "2026-12-03T10:00:00Z" };
  it.each<[string, RunReport, boolean]>([
    ["a later update of the same attempt", { attempt: 2, updatedAt: "2026-12-03T10:00:01Z" }, true],
    ["the same update again (a redelivery)", { attempt: 2, updatedAt: "2026-12-03T10:00:00Z" }, true],
    ["an earlier update of the same attempt", { attempt: 2, updatedAt: "2026-12-03T09:59:59Z" }, false],
    ["a newer attempt, updated later", { attempt: 3, updatedAt: "2026-12-03T10:05:00Z" }, true],
    // The attempt decides before the time does.
    ["a newer attempt, updated earlier", { attempt: 3, updatedAt: "2026-12-03T09:00:00Z" }, true],
    ["an earlier attempt, updated later", { attempt: 1, updatedAt: "2026-12-03T11:00:00Z" }, false],
    ["an earlier attempt, updated earlier", { attempt: 1, updatedAt: "2026-12-03T09:00:00Z" }, false],
  ])("%s", (_what, incoming, expected) => {
    expect(replacesReport(incoming, recorded)).toBe(expected);
  });
});

describe("which run lanegate cancels", () => {
  const refused: CancelFacts = {
    cancelRefusedRuns: true,
    status: "in_progress",
    allowed: false,
    operations: [],
  };
  it.each<[string, Partial<CancelFacts>, boolean]>([
    ["a refused run still going", {}, true],
    ["a refused run still queued", { status: "queued" }, true],
    ["a refused run waiting for a reviewer", { status: "waiting" }, true],
    ["a refused run that finished", { status: "completed" }, false],
    ["an allowed run", { allowed: true }, false],
    ["a refused run when the config keeps refused runs", { cancelRefusedRuns: false }, false],
    ["a refused re-request of an attempt whose operation is requested", { operations: ["requested"] }, false],
    ["a refused re-request of an attempt in flight", { operations: ["in_flight"] }, false],
    ["a refused re-request of an attempt gone stale", { operations: ["stale"] }, false],
    ["a refused attempt whose operation completed", { operations: ["completed"] }, true],
    ["a refused attempt whose operation was cleared", { operations: ["cleared"] }, true],
    [
      "a refused attempt with a cleared and a holding operation",
      { operations: ["cleared", "in_flight"] },
      false,
    ],
  ])("%s", (_what, facts, expected) => {
    expect(cancelsRun({ ...refused, ...facts })).toBe(expected);
  });
});

describe("which runs of a lane's backup dispatches prove a backup", () => {
  const backup: ProofCandidate = {
    workflowPath: ".github/workflows/backup.yml",
    runId: 50,
    event: "workflow_dispatch",
    headBranch: "main",
    status: "completed",
    conclusion: "success",
    createdAt: "2026-12-03T10:00:00.000Z",
    updatedAt: "2026-12-03T10:20:00.000Z",
  };
  const proves = (facts: Partial<ProofCandidate>, branches = ["main", "release"]) =>
    proofsAmong([{ ...backup, ...facts }], "backup.yml", branches).length === 1;

  it.each<[string, Partial<ProofCandidate>, boolean]>([
    ["a successful hand dispatch of backup.yml from main", {}, true],
    ["from another allowed branch", { headBranch: "release" }, true],
    ["of backup.yml at a ref", { workflowPath: ".github/workflows/backup.yml@refs/heads/main" }, true],
    ["from a branch the config does not allow", { headBranch: "feature" }, false],
    ["with no branch", { headBranch: null }, false],
    ["that failed", { conclusion: "failure" }, false],
    ["that was cancelled", { conclusion: "cancelled" }, false],
    ["with no conclusion yet", { status: "in_progress", conclusion: null }, false],
    ["a success GitHub reports before the run completed", { status: "in_progress" }, false],
    ["started by a push", { event: "push" }, false],
    ["started by a schedule", { event: "schedule" }, false],
    ["of the workflow the config named before", { workflowPath: ".github/workflows/old-backup.yml" }, false],
    [
      "of a workflow whose name only starts the same",
      { workflowPath: ".github/workflows/backup.yml.bak" },
      false,
    ],
    ["of a workflow in another directory", { workflowPath: ".github/workflows/x/backup.yml" }, false],
    // GitHub's paths are case-sensitive (SQLite's LIKE, which the store used, was not).
    ["of a workflow that differs in case", { workflowPath: ".github/workflows/Backup.yml@main" }, false],
  ])("%s", (_what, facts, expected) => {
    expect(proves(facts)).toBe(expected);
  });

  it("proves nothing when no branch is allowed", () => {
    expect(proves({}, [])).toBe(false);
  });

  it("keeps the candidates' order and gives each proof's start and completion", () => {
    const older = {
      ...backup,
      runId: 40,
      createdAt: "2026-12-02T10:00:00.000Z",
      updatedAt: "2026-12-02T10:20:00.000Z",
    };
    const failed = { ...backup, runId: 45, conclusion: "failure" };
    expect(proofsAmong([backup, failed, older], "backup.yml", ["main"])).toEqual([
      { runId: 50, startedAt: "2026-12-03T10:00:00.000Z", completedAt: "2026-12-03T10:20:00.000Z" },
      { runId: 40, startedAt: "2026-12-02T10:00:00.000Z", completedAt: "2026-12-02T10:20:00.000Z" },
    ]);
  });
});
