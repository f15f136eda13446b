// Plan, then apply: from the grant rows that exist and the outcomes the issues derive, the list
// of changes that brings the rows in line. Pure; the store applies the list in one transaction,
// and `lanegate reconcile --dry-run` prints it instead.
import type { LaneState } from "../domain.ts";
import { ENDED_STATES, type IssueOutcome, type LaneOutcome } from "./lifecycle.ts";

/** A grant row as the plan needs it. */
export interface ExistingGrant {
  id: number;
  lane: string;
  issueNumber: number;
  blockSha: string | null;
  labelEventId: string | null;
  state: string;
  reason: string;
  wasActive: boolean;
}

export type GrantChange =
  /** A row takes an outcome: its state changed, or a claim that never became a grant moves on. */
  | { kind: "update"; id: number; issue: number; lane: string; from: string; to: LaneOutcome; ends: boolean }
  /** A row whose claim is gone: retired, with the reason. */
  | { kind: "retire"; id: number; issue: number; lane: string; from: string; reason: string }
  /** A new row for an outcome no row holds. */
  | { kind: "insert"; issue: number; lane: string; to: LaneOutcome; ends: boolean };

const sameGrant = (row: ExistingGrant, l: LaneOutcome) =>
  row.lane === l.lane && row.blockSha === l.blockSha && row.labelEventId === l.labelEventId;

const ends = (state: LaneState) => ENDED_STATES.includes(state);

/**
 * `open` holds the rows not yet ended for the outcomes' issues; `history` every row those issues
 * ever had, ended ones included (an expiry first seen after the fact still earns one row).
 */
export function planGrants(
  open: readonly ExistingGrant[],
  history: readonly ExistingGrant[],
  outcomes: readonly IssueOutcome[],
): GrantChange[] {
  const changes: GrantChange[] = [];
  for (const issue of outcomes) {
    // Copies: a carried-forward row takes its successor's identity for the rest of the plan.
    const rows = open.filter((r) => r.issueNumber === issue.number).map((r) => ({ ...r }));
    for (const row of rows) {
      if (issue.lanes.some((l) => sameGrant(row, l))) continue;
      // A claim that never became a grant (pending, invalid, ...) is carried forward, not ended:
      // the history keeps grants, and a pending row per edit would only bury them.
      const successor = issue.lanes.find((l) => l.lane === row.lane && !rows.some((r) => sameGrant(r, l)));
      if (successor && !row.wasActive && !ends(successor.state)) {
        changes.push({
          kind: "update",
          id: row.id,
          issue: issue.number,
          lane: row.lane,
          from: row.state,
          to: successor,
          ends: false,
        });
        Object.assign(row, { blockSha: successor.blockSha, labelEventId: successor.labelEventId });
        Object.assign(row, { state: successor.state, reason: successor.reason });
        continue;
      }
      const stillNamed = issue.lanes.some((l) => l.lane === row.lane);
      const reason = stillNamed
        ? "replaced by a newer version of the block or a new approval"
        : "no longer in the block";
      changes.push({
        kind: "retire",
        id: row.id,
        issue: issue.number,
        lane: row.lane,
        from: row.state,
        reason,
      });
    }
    for (const l of issue.lanes) {
      const row = rows.find((r) => sameGrant(r, l));
      if (row) {
        if (row.state === l.state && row.reason === l.reason) continue;
        changes.push({
          kind: "update",
          id: row.id,
          issue: issue.number,
          lane: l.lane,
          from: row.state,
          to: l,
          ends: ends(l.state),
        });
      } else if (
        !ends(l.state) ||
        (l.state === "expired" && !history.some((r) => r.issueNumber === issue.number && sameGrant(r, l)))
      ) {
        // A retired outcome with no open row means the grant is over or never started: nothing
        // to end. An expiry first seen after the fact is still worth one row of history.
        changes.push({ kind: "insert", issue: issue.number, lane: l.lane, to: l, ends: ends(l.state) });
      }
    }
  }
  return changes;
}

/** The audit line of a change: what an operator reads in the log and in a dry run. */
export function describeChange(change: GrantChange): string {
  switch (change.kind) {
    case "update":
      return `${change.from} -> ${change.to.state}: ${change.to.reason}`;
    case "retire":
      return `${change.from} -> retired: ${change.reason}`;
    case "insert":
      return `new ${change.to.state}: ${change.to.reason}`;
  }
}
