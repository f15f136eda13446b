// What a config change does to the baseline: for each declared lane (and for every lane at once,
// when the change is repository-wide) what weakened, what strengthened and what merely changed.
// A weakening is anything that lets more runs through or more people approve. Pure.
import { baselineOf, type LanegateConfig } from "../config/schema.ts";
import { AUTHORITY_STRENGTH, type DeclaredLane, SOURCES_FOR_AUTHORITY } from "../domain.ts";

export type ChangeKind = "weakened" | "strengthened" | "changed";

export interface BaselineChange {
  /** A lane id, or `every lane` for a repository-wide change. */
  scope: string;
  kind: ChangeKind;
  what: string;
}

export const EVERY_LANE = "every lane";

const PERMISSION_RANK = { write: 0, maintain: 1, admin: 2 } as const;

export function compareBaselines(
  before: LanegateConfig,
  after: LanegateConfig,
  defaultBranch: string,
): BaselineChange[] {
  return [...laneChanges(before, after), ...repositoryChanges(before, after, defaultBranch)];
}

const sources = (lane: DeclaredLane) => SOURCES_FOR_AUTHORITY[lane.data_authority].join(", ") || "none";

/** The flags as the gate applies them: an authoritative lane always needs both proofs. */
function effectiveFlags(lane: DeclaredLane) {
  const authoritative = lane.data_authority === "authoritative";
  return {
    "a backup before destroy": authoritative || lane.requires_backup_before_destroy === true,
    "a restore proof": authoritative || lane.requires_restore_proof === true,
    "the runtime identity": lane.requires_runtime_identity === true,
  };
}

function laneChanges(before: LanegateConfig, after: LanegateConfig): BaselineChange[] {
  const old = baselineOf(before);
  const now = baselineOf(after);
  const changes: BaselineChange[] = [];
  for (const lane of [...new Set([...Object.keys(old), ...Object.keys(now)])].sort()) {
    const a = old[lane];
    const b = now[lane];
    if (a && !b) {
      changes.push({
        scope: lane,
        kind: "weakened",
        what: `no longer declared (was ${a.data_authority}): an approval issue may grant it any authority`,
      });
      continue;
    }
    if (!a && b) {
      changes.push({ scope: lane, kind: "strengthened", what: `declared ${b.data_authority}` });
      continue;
    }
    if (!a || !b) continue;
    const strength = AUTHORITY_STRENGTH[b.data_authority] - AUTHORITY_STRENGTH[a.data_authority];
    if (strength !== 0)
      changes.push({
        scope: lane,
        kind: strength < 0 ? "weakened" : "strengthened",
        what: `data authority ${a.data_authority} → ${b.data_authority} (allowed sources ${sources(a)} → ${sources(b)})`,
      });
    const fa = effectiveFlags(a);
    const fb = effectiveFlags(b);
    for (const name of Object.keys(fa) as (keyof typeof fa)[]) {
      if (fa[name] === fb[name]) continue;
      changes.push({
        scope: lane,
        kind: fa[name] ? "weakened" : "strengthened",
        what: fa[name] ? `no longer requires ${name}` : `now requires ${name}`,
      });
    }
  }
  return changes;
}

function repositoryChanges(
  before: LanegateConfig,
  after: LanegateConfig,
  defaultBranch: string,
): BaselineChange[] {
  const changes: BaselineChange[] = [];
  const add = (kind: ChangeKind, what: string) => changes.push({ scope: EVERY_LANE, kind, what });
  const a = before.approvers;
  const b = after.approvers;
  if (a.min_permission !== b.min_permission)
    add(
      PERMISSION_RANK[b.min_permission] < PERMISSION_RANK[a.min_permission] ? "weakened" : "strengthened",
      `approvers need ${b.min_permission} instead of ${a.min_permission}`,
    );
  for (const team of difference(b.teams, a.teams)) add("weakened", `members of team ${team} may approve`);
  for (const team of difference(a.teams, b.teams))
    add("strengthened", `members of team ${team} may no longer approve`);
  if (a.allow_self_approval !== b.allow_self_approval)
    add(
      b.allow_self_approval ? "weakened" : "strengthened",
      b.allow_self_approval
        ? "an issue's author may approve it"
        : "an issue's author may no longer approve it",
    );
  if (before.label !== after.label)
    add(
      "changed",
      `the approval label ${before.label} → ${after.label}: issues with the old label stop granting`,
    );
  for (const file of difference(before.gate.workflows, after.gate.workflows))
    add("weakened", `${file} is no longer gated`);
  for (const file of difference(after.gate.workflows, before.gate.workflows))
    add("strengthened", `${file} is gated`);
  const branchesBefore = before.gate.branches ?? [defaultBranch];
  const branchesAfter = after.gate.branches ?? [defaultBranch];
  for (const branch of difference(branchesAfter, branchesBefore))
    add("weakened", `gated runs may come from ${branch}`);
  for (const branch of difference(branchesBefore, branchesAfter))
    add("strengthened", `gated runs may no longer come from ${branch}`);
  if (before.gate.cancel_refused_runs !== after.gate.cancel_refused_runs)
    add(
      after.gate.cancel_refused_runs ? "strengthened" : "weakened",
      after.gate.cancel_refused_runs ? "refused runs are cancelled" : "refused runs are no longer cancelled",
    );
  for (const kind of ["backup", "restore"] as const) {
    const p = before.proofs[kind];
    const q = after.proofs[kind];
    if (p && q && p.max_age_hours !== q.max_age_hours)
      add(
        q.max_age_hours > p.max_age_hours ? "weakened" : "strengthened",
        `a ${kind} proof counts for ${q.max_age_hours} h instead of ${p.max_age_hours} h`,
      );
    if (p?.workflow !== q?.workflow)
      add("changed", `the ${kind} proof workflow ${p?.workflow ?? "(none)"} → ${q?.workflow ?? "(none)"}`);
  }
  for (const input of difference(after.gate.inputs, before.gate.inputs))
    add("changed", `gated runs may take the input ${input}`);
  for (const input of difference(before.gate.inputs, after.gate.inputs))
    add("changed", `the input ${input} refuses a run`);
  if (JSON.stringify(before.gate.environments) !== JSON.stringify(after.gate.environments))
    add("changed", "gate.environments maps environments to lanes differently");
  if (before.gate.lease_minutes !== after.gate.lease_minutes)
    add(
      "changed",
      `a lease lasts ${after.gate.lease_minutes} minutes instead of ${before.gate.lease_minutes}`,
    );
  if (JSON.stringify(before.evidence) !== JSON.stringify(after.evidence))
    add("changed", "evidence (jobs or deploy workflows) changed");
  return changes;
}

const difference = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

export const weakens = (changes: readonly BaselineChange[]) => changes.some((c) => c.kind === "weakened");
