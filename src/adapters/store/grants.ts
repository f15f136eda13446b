// SQL for grants: the rows an issue's claims on lanes become, ended and never deleted.
import { and, eq, inArray, isNull, or } from "drizzle-orm";
import type { LanePolicy } from "../../core/domain.ts";
import type { GrantFact } from "../../core/gate/decision.ts";
import { ENDED_STATES, type IssueOutcome, type LaneOutcome } from "../../core/lanes/lifecycle.ts";
import { appendAudit, type Trigger } from "./audit.ts";
import type { Q } from "./db.ts";
import * as t from "./schema.ts";

export type GrantRow = typeof t.grants.$inferSelect;

export function openGrants(q: Q, repo: string): GrantRow[] {
  return q
    .select()
    .from(t.grants)
    .where(and(eq(t.grants.repo, repo), isNull(t.grants.endedAt)))
    .all();
}

/**
 * Brings the grant rows in line with the derived outcomes (find, compare, then add, update or
 * end), auditing every change. Returns the issues whose rows changed.
 */
export function applyOutcomes(
  q: Q,
  repo: string,
  outcomes: IssueOutcome[],
  trigger: Trigger,
  now: Date,
): number[] {
  const at = now.toISOString();
  const changed = new Set<number>();
  const open = openGrants(q, repo);
  // Ended rows matter only for the issues being applied; the rest of the history stays on disk.
  const numbers = outcomes.map((o) => o.number);
  const everRows = q
    .select()
    .from(t.grants)
    .where(and(eq(t.grants.repo, repo), inArray(t.grants.issueNumber, numbers)))
    .all();
  const sameGrant = (row: GrantRow, l: LaneOutcome) =>
    row.lane === l.lane && row.blockSha === l.blockSha && row.labelEventId === l.labelEventId;
  const audit = (number: number, lane: string, change: string) => {
    changed.add(number);
    appendAudit(q, { repo, ...trigger, subject: `#${number} ${lane}`, change, at });
  };
  for (const issue of outcomes) {
    const rows = open.filter((r) => r.issueNumber === issue.number);
    for (const row of rows) {
      const next = issue.lanes.find((l) => sameGrant(row, l));
      if (next) continue;
      // A claim that never became a grant (pending, invalid, ...) is carried forward, not ended:
      // the history keeps grants, and a pending row per edit would only bury them.
      const successor = issue.lanes.find((l) => l.lane === row.lane && !rows.some((r) => sameGrant(r, l)));
      if (successor && !row.wasActive && !ENDED_STATES.includes(successor.state)) {
        q.update(t.grants)
          .set({ ...grantFields(successor), updatedAt: at })
          .where(eq(t.grants.id, row.id))
          .run();
        row.blockSha = successor.blockSha;
        row.labelEventId = successor.labelEventId;
        audit(issue.number, row.lane, `${row.state} -> ${successor.state}: ${successor.reason}`);
        row.state = successor.state;
        row.reason = successor.reason;
        continue;
      }
      const stillNamed = issue.lanes.some((l) => l.lane === row.lane);
      const reason = stillNamed
        ? "replaced by a newer version of the block or a new approval"
        : "no longer in the block";
      q.update(t.grants)
        .set({ state: "retired", reason, endedAt: at, endedBy: trigger.actor, updatedAt: at })
        .where(eq(t.grants.id, row.id))
        .run();
      audit(issue.number, row.lane, `${row.state} -> retired: ${reason}`);
    }
    for (const l of issue.lanes) {
      const ended = ENDED_STATES.includes(l.state);
      const row = rows.find((r) => sameGrant(r, l));
      const endedFields = ended ? { endedAt: at, endedBy: l.endedBy ?? trigger.actor } : {};
      if (row) {
        if (row.state === l.state && row.reason === l.reason) continue;
        q.update(t.grants)
          .set({ ...grantFields(l), updatedAt: at, ...endedFields })
          .where(eq(t.grants.id, row.id))
          .run();
        audit(issue.number, l.lane, `${row.state} -> ${l.state}: ${l.reason}`);
      } else if (
        !ended ||
        (l.state === "expired" && !everRows.some((r) => r.issueNumber === issue.number && sameGrant(r, l)))
      ) {
        // A retired outcome with no open row means the grant is over or never started: nothing
        // to end. An expiry first seen after the fact is still worth one row of history.
        q.insert(t.grants)
          .values({
            repo,
            lane: l.lane,
            issueNumber: issue.number,
            ...grantFields(l),
            createdAt: at,
            updatedAt: at,
            ...endedFields,
          })
          .run();
        audit(issue.number, l.lane, `new ${l.state}: ${l.reason}`);
      }
    }
  }
  return [...changed];
}

function grantFields(l: LaneOutcome) {
  return {
    blockSha: l.blockSha,
    labelEventId: l.labelEventId,
    policy: l.policy,
    expiresAt: l.expiresAt,
    approver: l.approver,
    approvedAt: l.approvedAt,
    state: l.state,
    reason: l.reason,
    // Set, never cleared: other states leave the column out, so an update keeps it.
    ...(l.state === "active" ? { wasActive: true } : {}),
  };
}

/** Grants whose expiry has passed but are not yet marked, for the sweep. */
export function reposWithExpiringGrants(q: Q, now: Date): string[] {
  return q
    .selectDistinct({ repo: t.grants.repo })
    .from(t.grants)
    .where(and(isNull(t.grants.endedAt), or(eq(t.grants.state, "active"), eq(t.grants.state, "suspended"))))
    .all()
    .map((r) => r.repo)
    .filter((repo) =>
      openGrants(q, repo).some((g) => g.expiresAt !== null && Date.parse(g.expiresAt) <= now.getTime()),
    );
}

/** The lane's grant rows that have not ended, as the decision reads them. */
export function laneGrants(q: Q, repo: string, lane: string): GrantFact[] {
  return q
    .select({ grant: t.grants, url: t.approvalIssues.url })
    .from(t.grants)
    .leftJoin(
      t.approvalIssues,
      and(eq(t.approvalIssues.repo, t.grants.repo), eq(t.approvalIssues.number, t.grants.issueNumber)),
    )
    .where(and(eq(t.grants.repo, repo), eq(t.grants.lane, lane), isNull(t.grants.endedAt)))
    .all()
    .filter(({ grant }) => grant.policy !== null)
    .map(({ grant, url }) => ({
      issueNumber: grant.issueNumber,
      url: url ?? `https://github.com/${repo}/issues/${grant.issueNumber}`,
      state: grant.state,
      reason: grant.reason,
      policy: grant.policy as LanePolicy,
      expiresAt: grant.expiresAt,
      blockSha: grant.blockSha,
    }));
}

/** Whether the config declares the lane or any approval issue has ever named it. */
export function laneKnown(q: Q, repo: string, lane: string): boolean {
  const declared = q
    .select({ lane: t.declaredLanes.lane })
    .from(t.declaredLanes)
    .where(and(eq(t.declaredLanes.repo, repo), eq(t.declaredLanes.lane, lane)))
    .get();
  const named = q
    .select({ id: t.grants.id })
    .from(t.grants)
    .where(and(eq(t.grants.repo, repo), eq(t.grants.lane, lane)))
    .limit(1)
    .get();
  return declared !== undefined || named !== undefined;
}
