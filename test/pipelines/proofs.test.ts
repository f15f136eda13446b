// A lane's proofs as the gate gathers them from the store: candidates a page at a time, the core
// saying which of them prove, until enough are found or none are left.

import { describe, expect, it } from "vitest";
import { type Db, openDatabase, type Q, read, transaction } from "../../src/adapters/store/db.ts";
import { claimDispatch, insertRun, recordDispatch } from "../../src/adapters/store/runs.ts";
import { laneProofs, PROOFS_READ } from "../../src/pipelines/gate/gather.ts";

const REPO = "acme/app";
const at = (minutes: number) => new Date(Date.UTC(2026, 11, 3, 8, minutes)).toISOString();

/** A backup of syo/prod dispatched by hand from main, finished `minutes` after eight. */
async function backupRun(q: Q, runId: number, minutes: number, conclusion: string) {
  const dispatchId = await recordDispatch(q, {
    repo: REPO,
    deliveryId: `delivery-${runId}`,
    workflowPath: ".github/workflows/backup.yml",
    branch: "main",
    actor: "olivia",
    inputs: { context: "syo", instance: "prod" },
    receivedAt: at(minutes),
    role: "backup_proof",
    lane: "syo/prod",
    source: null,
  });
  await insertRun(q, {
    repo: REPO,
    runId,
    attempt: 1,
    workflowPath: ".github/workflows/backup.yml",
    headSha: "abc",
    headBranch: "main",
    event: "workflow_dispatch",
    actor: "olivia",
    displayTitle: "backup",
    htmlUrl: `https://github.com/${REPO}/actions/runs/${runId}`,
    status: "completed",
    conclusion,
    createdAt: at(minutes),
    updatedAt: at(minutes),
    role: "backup_proof",
  });
  if (dispatchId !== null) await claimDispatch(q, REPO, runId, dispatchId);
}

const proofsOf = (db: Db) =>
  read(db, (q) => laneProofs(q, REPO, "backup_proof", "syo/prod", "backup.yml", ["main"]));

describe("a lane's proofs, gathered a page at a time", () => {
  it("finds the one successful backup behind more than a page of newer failed ones", async () => {
    const db = openDatabase(":memory:");
    await transaction(db, async (q) => {
      await backupRun(q, 1, 0, "success");
      for (let i = 1; i <= PROOFS_READ + 10; i += 1) await backupRun(q, 1 + i, i, "failure");
    });
    expect((await proofsOf(db)).map((p) => p.runId)).toEqual([1]);
  });

  it("reads no further than the newest proofs it needs, newest first", async () => {
    const db = openDatabase(":memory:");
    await transaction(db, async (q) => {
      for (let i = 0; i < PROOFS_READ + 5; i += 1) await backupRun(q, 100 + i, i, "success");
    });
    const runIds = (await proofsOf(db)).map((p) => p.runId);
    expect(runIds).toHaveLength(PROOFS_READ);
    expect(runIds[0]).toBe(100 + PROOFS_READ + 4);
    expect(runIds.at(-1)).toBe(105);
  });
});
