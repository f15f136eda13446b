// A grant plan is written in batches (one update per set of changed columns, one insert for new
// rows), and every row still ends up as its own change says, on both drivers (this file runs in
// the `app` project on SQLite and in the `postgres` one).
import { expect, it } from "vitest";
import { type Q, read, tables, transaction } from "../../src/adapters/store/db.ts";
import { applyGrantChanges, openGrants } from "../../src/adapters/store/grants.ts";
import type { LanePolicy } from "../../src/core/domain.ts";
import type { GrantChange } from "../../src/core/lanes/grant-plan.ts";
import { blankOutcome, type LaneOutcome } from "../../src/core/lanes/lifecycle.ts";
import { testStore } from "../support/store.ts";

const REPO = "acme/platform";
const at = (minute: number) => new Date(`2026-11-23T10:${String(minute).padStart(2, "0")}:00Z`);

function policy(lane: string, confirmation: string | null = null): LanePolicy {
  return {
    lane,
    data_authority: "resettable",
    allowed_rebuild_sources: ["empty"],
    upstream_source: null,
    confirmation,
    requires_backup_before_destroy: false,
    requires_restore_proof: false,
    requires_runtime_identity: false,
    approvals_required: 1,
  };
}

function outcome(lane: string, over: Partial<LaneOutcome> = {}): LaneOutcome {
  const waiting = {
    reason: "waiting for the approval label",
    policy: policy(lane),
    blockSha: "a".repeat(64),
  };
  return { ...blankOutcome(lane), ...waiting, ...over };
}

const LANES = ["cm/testing", "cm/prod", "opw/prod", "opw/testing"];

async function apply(q: Q, changes: GrantChange[], minute: number) {
  return applyGrantChanges(q, REPO, changes, "olivia", at(minute), await openGrants(q, REPO));
}

it("writes each row as its own change says, whatever the batch it went in", async () => {
  const db = await testStore();
  const inserts = LANES.map(
    (lane): GrantChange => ({ kind: "insert", issue: 7, lane, to: outcome(lane), ends: false }),
  );
  await transaction(db, (q) => apply(q, inserts, 0));
  const ids = new Map((await read(db, (q) => openGrants(q, REPO))).map((g) => [g.lane, g.id]));
  const id = (lane: string) => ids.get(lane) ?? -1;
  const approved = {
    state: "active" as const,
    reason: "approved by mia",
    approver: "mia",
    approvedAt: "2026-11-23T10:01:00Z",
  };
  const changes: GrantChange[] = [
    // Two lanes approved alike: one batch, their policies untouched.
    {
      kind: "update",
      id: id("cm/testing"),
      issue: 7,
      lane: "cm/testing",
      from: "pending",
      to: outcome("cm/testing", approved),
      ends: false,
    },
    {
      kind: "update",
      id: id("cm/prod"),
      issue: 7,
      lane: "cm/prod",
      from: "pending",
      to: outcome("cm/prod", approved),
      ends: false,
    },
    // The same approval, and a policy of its own that changed.
    {
      kind: "update",
      id: id("opw/prod"),
      issue: 7,
      lane: "opw/prod",
      from: "pending",
      to: outcome("opw/prod", { ...approved, policy: policy("opw/prod", "WIPE opw/prod") }),
      ends: false,
    },
    {
      kind: "retire",
      id: id("opw/testing"),
      issue: 7,
      lane: "opw/testing",
      from: "pending",
      reason: "no longer in the block",
    },
  ];
  expect(await transaction(db, (q) => apply(q, changes, 2))).toEqual([7]);

  const rows = await read(db, (q) => q.select().from(tables(q).grants));
  const byLane = new Map(rows.map((r) => [r.lane, r]));
  for (const lane of ["cm/testing", "cm/prod", "opw/prod"])
    expect(byLane.get(lane), lane).toMatchObject({
      state: "active",
      reason: "approved by mia",
      approver: "mia",
      wasActive: true,
      updatedAt: at(2).toISOString(),
      endedAt: null,
    });
  expect(byLane.get("cm/testing")?.policy).toEqual(policy("cm/testing"));
  expect(byLane.get("cm/prod")?.policy).toEqual(policy("cm/prod"));
  expect(byLane.get("opw/prod")?.policy).toEqual(policy("opw/prod", "WIPE opw/prod"));
  expect(byLane.get("opw/testing")).toMatchObject({
    state: "retired",
    reason: "no longer in the block",
    endedBy: "olivia",
    endedAt: at(2).toISOString(),
    wasActive: false,
    policy: policy("opw/testing"),
  });
});
