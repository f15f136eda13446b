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
