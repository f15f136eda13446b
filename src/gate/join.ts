// Joins a workflow run to the dispatch that started it. GitHub gives the inputs only to the
// `workflow_dispatch` delivery and the run id only to `workflow_run` deliveries, so the join goes
// by what both carry: workflow file, branch, actor, time, and the lane in the run-name. Pure.

export interface DispatchCandidate {
  id: number;
  workflowFile: string;
  branch: string;
  actor: string;
  inputs: Record<string, unknown>;
  receivedAt: string;
}

export interface RunToJoin {
  workflowFile: string;
  headBranch: string | null;
  actor: string;
  createdAt: string;
  displayTitle: string;
}

export type Join =
  | { kind: "joined"; dispatchId: number }
  | { kind: "none" }
  | { kind: "ambiguous"; reason: string };

/** Deliveries can be late; a dispatch further than this from its run's creation is not its dispatch. */
export const JOIN_WINDOW_MS = 10 * 60_000;

export function joinRun(run: RunToJoin, unclaimed: readonly DispatchCandidate[]): Join {
  const created = Date.parse(run.createdAt);
  const sameKey = unclaimed.filter(
    (d) =>
      d.workflowFile === run.workflowFile &&
      d.branch === run.headBranch &&
      d.actor.toLowerCase() === run.actor.toLowerCase() &&
      Math.abs(Date.parse(d.receivedAt) - created) <= JOIN_WINDOW_MS,
  );
  const named = sameKey.filter((d) => titleNames(run.displayTitle, laneOf(d.inputs)));
  const candidates = named.length > 0 ? named : sameKey;
  const [first] = [...candidates].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id - b.id);
  if (!first) return { kind: "none" };
  // Several dispatches asking for exactly the same thing are interchangeable: take the oldest.
  const distinct = new Set(candidates.map((d) => canonical(d.inputs)));
  if (distinct.size > 1) {
    return {
      kind: "ambiguous",
      reason: `${candidates.length} dispatches of ${run.workflowFile} by ${run.actor} on ${run.headBranch} with different inputs could have started this run; put the lane in the workflow's run-name`,
    };
  }
  return { kind: "joined", dispatchId: first.id };
}

function laneOf(inputs: Record<string, unknown>): string {
  return `${String(inputs.context ?? "").trim()}/${String(inputs.instance ?? "").trim()}`.toLowerCase();
}

/** The run-name names the lane as a whole token: `bootstrap cm/prod` names `cm/prod`, not `m/pro`. */
function titleNames(title: string, lane: string): boolean {
  const at = title.toLowerCase().indexOf(lane);
  if (lane === "/" || at < 0) return false;
  const before = title[at - 1] ?? " ";
  const after = title[at + lane.length] ?? " ";
  return !/[a-z0-9/-]/i.test(before) && !/[a-z0-9/-]/i.test(after);
}

function canonical(inputs: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(inputs)
      .sort()
      .map((k) => [k, inputs[k]]),
  );
}
