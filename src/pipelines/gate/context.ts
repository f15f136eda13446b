// What every part of the gate pipeline knows of the run it decides.

export interface RunFacts {
  runId: number;
  attempt: number;
  workflowPath: string;
  headSha: string;
  headBranch: string | null;
  event: string;
  actor: string;
  displayTitle: string;
  htmlUrl: string;
  status: string;
  conclusion: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * The gate's transactions of one repository (recording a dispatch or a run, joining them,
 * deciding) run one at a time on every replica (`exclusive`). Each reads what the others write:
 * a run looks for its dispatch and a dispatch for its run, a decision looks for an earlier one
 * and for the lane's holder. Side by side, they would miss each other or, on PostgreSQL, fail
 * as conflicts and run again; queued, each is a few milliseconds of store work.
 */
export function gateScope(repo: string): string {
  return `gate ${repo}`;
}
