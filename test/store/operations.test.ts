// One operation holds a lane, enforced by the store itself on both drivers (this file runs in the
// `app` project on SQLite and in the `postgres` one): a second one is refused as LaneBusy without
// failing the transaction it was tried in, and an operation that ended holds nothing.
import { expect, it } from "vitest";
import { read, tables, transaction } from "../../src/adapters/store/db.ts";
import { holderOf, LaneBusy, openOperation } from "../../src/adapters/store/operations.ts";
import { testStore } from "../support/store.ts";

const REPO = "acme/platform";

const operation = (runId: number, state: "requested" | "completed" = "requested") => ({
  repo: REPO,
  lane: "cm/testing",
  runId,
  attempt: 1,
  decisionId: 0,
  source: "empty",
  issueNumber: 7,
  blockSha: null,
  state,
  leaseExpiresAt: "2026-11-23T12:00:00Z",
  startedAt: "2026-11-23T10:00:00Z",
});

it("refuses a second holder of a lane as LaneBusy and keeps the transaction usable", async () => {
  const db = await testStore();
  const after = await transaction(db, async (q) => {
    await openOperation(q, operation(1));
    await expect(openOperation(q, operation(2))).rejects.toBeInstanceOf(LaneBusy);
    // On PostgreSQL a failed statement would have aborted the transaction: this read would fail.
    return holderOf(q, REPO, "cm/testing");
  });
  expect(after?.runId).toBe(1);
  const rows = await read(db, (q) => q.select().from(tables(q).operations));
  expect(rows.map((r) => r.runId)).toEqual([1]);
});

it("lets a new operation hold a lane whose last operation ended", async () => {
  const db = await testStore();
  await transaction(db, (q) => openOperation(q, operation(1, "completed")));
  const opened = await transaction(db, (q) => openOperation(q, operation(2)));
  expect(opened.runId).toBe(2);
  expect((await read(db, (q) => holderOf(q, REPO, "cm/testing")))?.runId).toBe(2);
});
