// What lanegate does with the runs it recorded, as rules over plain facts: which report of a run
// stands, which refused run is cancelled, which runs prove. The store fetches the rows, the
// pipelines ask here and apply the answer.
import { holdsLane, type OperationState } from "../operations.ts";
import type { ProofRun } from "./decision.ts";

/** What a report of a run says about its place in time: the attempt, and GitHub's last update. */
export interface RunReport {
  attempt: number;
  updatedAt: string;
}

/**
 * Whether a report replaces the one recorded: a newer attempt, or the same attempt updated no
 * earlier. Deliveries arrive in any order; a late report of an earlier attempt changes nothing.
 */
export function replacesReport(incoming: RunReport, recorded: RunReport): boolean {
  return (
    incoming.attempt > recorded.attempt ||
    (incoming.attempt === recorded.attempt && incoming.updatedAt >= recorded.updatedAt)
  );
}

/** What the cancel of a refused run depends on, for one attempt. */
export interface CancelFacts {
  /** `gate.cancel_refused_runs` in the config in force. */
  cancelRefusedRuns: boolean;
  /** The attempt's status as lanegate knows it: a finished attempt has nothing to cancel. */
  status: string;
  /** Whether the attempt's decision (the newest made for it) allowed it. */
  allowed: boolean;
  /** The states of the operations the attempt opened. */
  operations: readonly OperationState[];
}

/**
 * Whether lanegate cancels the run: refused, not finished, and the config asks for it. An
 * attempt allowed earlier and still holding its lane is never cancelled by a later refusal (a
 * re-request during a GitHub fault, a grant retired since): stopping a wipe half-way is worse.
 */
export function cancelsRun(f: CancelFacts): boolean {
  return f.cancelRefusedRuns && !f.allowed && f.status !== "completed" && !f.operations.some(holdsLane);
}

/** A run of a dispatch the intake stored as a proof of the lane, as the store has it. */
export interface ProofCandidate {
  /** The dispatched workflow's path, with the `@ref` a reusable call carries. */
  workflowPath: string;
  runId: number;
  event: string;
  headBranch: string | null;
  status: string;
  conclusion: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * The candidates that prove something, in their order: completed with success, dispatched by hand
 * from an allowed branch (a proof workflow edited on another branch proves nothing), of the
 * workflow the config names now (repointing proofs.*.workflow retires the old one's runs).
 */
export function proofsAmong(
  candidates: readonly ProofCandidate[],
  workflow: string,
  branches: readonly string[],
): ProofRun[] {
  const path = `.github/workflows/${workflow}`;
  return candidates
    .filter(
      (run) =>
        (run.workflowPath === path || run.workflowPath.startsWith(`${path}@`)) &&
        run.status === "completed" &&
        run.conclusion === "success" &&
        run.event === "workflow_dispatch" &&
        branches.some((branch) => branch === run.headBranch),
    )
    .map((run) => ({ runId: run.runId, startedAt: run.createdAt, completedAt: run.updatedAt }));
}
