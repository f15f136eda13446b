// SQL for grants: the rows an issue's claims on lanes become, ended and never deleted.
import { and, eq, isNotNull, isNull, or, sql } from "drizzle-orm";
import { lanePolicySchema } from "../../core/domain.ts";
import type { GrantFact } from "../../core/gate/decision.ts";
import type { ExistingGrant, GrantChange } from "../../core/lanes/grant-plan.ts";
import type { LaneOutcome } from "../../core/lanes/lifecycle.ts";
import { first, type Q, sameJson, tables } from "./db.ts";
import {
  inList,
  insertPlaceholders,
  insertRowsValues,
  listValue,
  preparedByShape,
  preparedOn,
  updatePlaceholders,
  updateValues,
} from "./prepared.ts";
import type * as s from "./schema.ts";

export type GrantRow = typeof s.grants.$inferSelect;

// Every sync reads the open grants; every gate decision reads the lane's.
const prepared = preparedOn((q, t) => ({
  open: q
    .select()
    .from(t.grants)
    .where(and(eq(t.grants.repo, sql.placeholder("repo")), isNull(t.grants.endedAt)))
    .prepare(),
  lane: q
    .select({ grant: t.grants, url: t.approvalIssues.url })
    .from(t.grants)
    .innerJoin(
      t.approvalIssues,
      and(eq(t.approvalIssues.repo, t.grants.repo), eq(t.approvalIssues.number, t.grants.issueNumber)),
    )
    .where(
      and(
        eq(t.grants.repo, sql.placeholder("repo")),
        eq(t.grants.lane, sql.placeholder("lane")),
        isNull(t.grants.endedAt),
      ),
    )
    .prepare(),
  declared: q
    .select({ lane: t.declaredLanes.lane })
    .from(t.declaredLanes)
    .where(
      and(
        eq(t.declaredLanes.repo, sql.placeholder("repo")),
        eq(t.declaredLanes.lane, sql.placeholder("lane")),
      ),
    )
    .prepare(),
  named: q
    .select({ id: t.grants.id })
    .from(t.grants)
    .where(and(eq(t.grants.repo, sql.placeholder("repo")), eq(t.grants.lane, sql.placeholder("lane"))))
    .limit(1)
    .prepare(),
  endedOfIssues: q
    .select()
    .from(t.grants)
    .where(
      and(
        eq(t.grants.repo, sql.placeholder("repo")),
        inList(q, t.grants.issueNumber, "numbers"),
        isNotNull(t.grants.endedAt),
      ),
    )
    .prepare(),
}));

// A plan's writes: new rows in one insert per row count, changed rows in one update per set of
// changed columns (see `applyGrantChanges`).
const planWrites = {
  insert: preparedByShape((q, t, rows: number) => ({
    insert: q.insert(t.grants).values(insertPlaceholders(t.grants, rows)).prepare(),
  })),
  update: preparedByShape((q, t, columns: string) => ({
    update: q
      .update(t.grants)
      .set(updatePlaceholders(columns.split(",")))
      .where(inList(q, t.grants.id, "ids"))
      .prepare(),
  })),
};

export async function openGrants(q: Q, repo: string): Promise<GrantRow[]> {
  return prepared(q).open.execute({ repo });
}

/** The rows the grant plan starts from: open rows, and every row the issues ever had. */
export async function grantsForPlan(
  q: Q,
  repo: string,
  numbers: number[],
): Promise<{ open: GrantRow[]; history: ExistingGrant[] }> {
  // Ended rows matter only for the issues being planned; the rest of the history stays on disk.
  // Two reads, each on its own index (one with an OR between them scans the repository's
  // history); the open rows are read once and serve both.
  const open = await openGrants(q, repo);
  const ended = numbers.length
    ? await prepared(q).endedOfIssues.execute({ repo, numbers: listValue(q, numbers) })
    : [];
  const planned = new Set(numbers);
  return { open, history: [...open.filter((row) => planned.has(row.issueNumber)), ...ended] };
}

type GrantFields = Partial<typeof s.grants.$inferInsert>;

/**
 * Applies a grant plan to the `open` rows it was planned from; a row ended without an actor of
 * its own is ended by `actor`, who set the change off. Returns the issues whose rows changed.
 * A 50-lane block is 50 changes, so they are batched: new rows in one insert, and changed rows
 * in one update per set of changed columns (the lanes of one issue mostly change alike: all
 * approved, all retired), each update writing only the columns whose value changes.
 */
export async function applyGrantChanges(
  q: Q,
  repo: string,
  changes: GrantChange[],
  actor: string | null,
  now: Date,
  open: GrantRow[],
): Promise<number[]> {
  const t = tables(q);
  const at = now.toISOString();
  const before = new Map(open.map((row) => [row.id, row]));
  const inserts: (typeof s.grants.$inferInsert)[] = [];
  const updates = new Map<string, { set: GrantFields; ids: number[] }>();
  const updated = new Set<number>();
  const update = (id: number, fields: GrantFields) => {
    // Each change is diffed against the row as read and batches run in no change's order: a
    // plan gives a row one change, and a second one would be applied out of turn.
    if (updated.has(id)) throw new Error(`grant ${id} has two changes in one plan`);
    updated.add(id);
    const set = changedFields(fields, before.get(id));
    const key = JSON.stringify(set);
    const batch = updates.get(key) ?? { set, ids: [] };
    batch.ids.push(id);
    updates.set(key, batch);
  };
  for (const change of changes) {
    if (change.kind === "retire") {
      update(change.id, {
        state: "retired",
        reason: change.reason,
        endedAt: at,
        endedBy: actor,
        updatedAt: at,
      });
    } else {
      const endedFields = change.ends ? { endedAt: at, endedBy: change.to.endedBy ?? actor } : {};
      const fields = { ...grantFields(change.to), updatedAt: at, ...endedFields };
      if (change.kind === "update") update(change.id, fields);
      else inserts.push({ repo, lane: change.lane, issueNumber: change.issue, createdAt: at, ...fields });
    }
  }
  for (const { set, ids } of updates.values()) {
    const columns = Object.keys(set).join(",");
    const values = { ...updateValues(t.grants, set), ids: listValue(q, ids) };
    await planWrites.update(q, columns).update.execute(values);
  }
  if (inserts.length > 0)
    await planWrites.insert(q, inserts.length).insert.execute(insertRowsValues(t.grants, inserts));
  return [...new Set(changes.map((c) => c.issue))];
}

/** The fields whose value differs from the row's (all of them when the row is not known). */
function changedFields(fields: GrantFields, row: GrantRow | undefined): GrantFields {
  if (!row) return fields;
  return Object.fromEntries(
    Object.entries(fields).filter(([column, value]) => !sameValue(row[column as keyof GrantRow], value)),
  );
}

/** Scalars compare as they are; only JSON columns (policy, approvers) need `sameJson`'s key order. */
function sameValue(stored: unknown, value: unknown): boolean {
  if (stored === value) return true;
  return typeof value === "object" && value !== null && sameJson(stored, value);
}

function grantFields(l: LaneOutcome) {
  return {
    blockSha: l.blockSha,
    labelEventId: l.labelEventId,
    policy: l.policy,
    expiresAt: l.expiresAt,
    approver: l.approver,
    approvedAt: l.approvedAt,
    approvalsRequired: l.approvals?.required ?? null,
    approvedBy: l.approvals?.by ?? null,
    state: l.state,
    reason: l.reason,
    // Set, never cleared: other states leave the column out, so an update keeps it.
    ...(l.state === "active" ? { wasActive: true } : {}),
  };
}

/** Grants whose expiry has passed but are not yet marked, for the sweep. */
export async function reposWithExpiringGrants(q: Q, now: Date): Promise<string[]> {
  const t = tables(q);
  const repos = await q
    .selectDistinct({ repo: t.grants.repo })
    .from(t.grants)
    .where(and(isNull(t.grants.endedAt), or(eq(t.grants.state, "active"), eq(t.grants.state, "suspended"))))
    .orderBy(t.grants.repo);
  const expiring: string[] = [];
  for (const { repo } of repos) {
    const open = await openGrants(q, repo);
    if (open.some((g) => g.expiresAt !== null && Date.parse(g.expiresAt) <= now.getTime()))
      expiring.push(repo);
  }
  return expiring;
}

/** The lane's grant rows that have not ended, as the decision reads them. */
export async function laneGrants(q: Q, repo: string, lane: string): Promise<GrantFact[]> {
  // Every grant row's issue is stored first (a sync saves the issue, then derives), so the
  // inner join loses nothing; a row held back without a policy is kept, so a refusal can name it,
  // and a policy that does not read back grants nothing.
  const rows = await prepared(q).lane.execute({ repo, lane });
  return rows.flatMap(({ grant, url }): GrantFact[] => {
    const { issueNumber, state, reason, expiresAt, blockSha } = grant;
    const counted = grant.approvalsRequired !== null && grant.approvedBy !== null;
    const approvals = counted ? { required: grant.approvalsRequired ?? 1, by: grant.approvedBy ?? [] } : null;
    const row = { issueNumber, url, state, reason, expiresAt, blockSha, approvals };
    if (grant.policy === null) return state === "active" ? [] : [{ ...row, policy: null }];
    const policy = lanePolicySchema.safeParse(grant.policy);
    return policy.success ? [{ ...row, policy: policy.data }] : [];
  });
}

/** Whether the config declares the lane or any approval issue has ever named it. */
export async function laneKnown(q: Q, repo: string, lane: string): Promise<boolean> {
  const queries = prepared(q);
  if (await first(queries.declared.execute({ repo, lane }))) return true;
  return (await first(queries.named.execute({ repo, lane }))) !== undefined;
}
