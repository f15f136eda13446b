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
  // A run-name that names a lane (and a source) only ever joins dispatches for that lane (and
  // source): falling back to other dispatches would hand this run someone else's request.
  const namesALane = LANE_IN_TEXT.test(run.displayTitle);
  const named = sameKey.filter(
    (d) => titleNames(run.displayTitle, laneOf(d.inputs)) && sourceFits(run.displayTitle, d.inputs),
  );
  const candidates = namesALane ? named : sameKey;
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

const LANE_IN_TEXT = /(^|[^a-z0-9/-])[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*($|[^a-z0-9/-])/i;
const SOURCES = ["empty", "upstream_restore", "backup_restore"];

/** When the run-name mentions a rebuild source, the dispatch must have asked for that one. */
function sourceFits(title: string, inputs: Record<string, unknown>): boolean {
  const mentioned = SOURCES.filter((s) => new RegExp(`\\b${s}\\b`, "i").test(title));
  if (mentioned.length === 0) return true;
  const asked =
    String(inputs.source ?? "empty")
      .trim()
      .toLowerCase() || "empty";
  return mentioned.includes(asked);
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
