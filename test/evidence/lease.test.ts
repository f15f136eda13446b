// The contract's first inventory row for a lease that runs out with no completion: the gate sweep
// makes the lane stale in the same transaction as the operation's move, and says why.
import { describe, expect, it } from "vitest";
import { read, tables } from "../../src/adapters/store/db.ts";
import { auditPage } from "../../src/adapters/store/read.ts";
import { gateSweep } from "../../src/pipelines/gate/sweep.ts";
import { reconcileOperations } from "../../src/pipelines/operations.ts";
import { result } from "../../standin/artifacts.ts";
import {
  allowedRun,
  complete,
  evidenceChecks,
  evidenceOfRun,
  inventory,
  sweep,
  upload,
} from "../support/evidence.ts";
import { createWorld, REPO, type World } from "../support/world.ts";

/** Past the default `gate.lease_minutes` (360), then the gate's timer work. */
async function leaseRunsOut(w: World) {
  w.advance(361);
  await gateSweep(w.deps, w.probot);
}

const auditLines = async (w: World) =>
  (await read(w.db, (q) => auditPage(q, REPO, 50))).entries.map((e) => e.change);

describe("a lease that expires without a completion", () => {
  it("makes the lane stale, keeps the deployment unverified, audited with the run", async () => {
    const w = await createWorld();
    const first = await allowedRun(w);
    upload(w, first, result());
    await complete(w, first);
    const runId = await allowedRun(w);
    await leaseRunsOut(w);

    expect((await read(w.db, (q) => q.select().from(tables(q).operations))).at(-1)).toMatchObject({
      runId,
      state: "stale",
    });
    expect(await inventory(w)).toMatchObject({
      state: "stale",
      reason: expect.stringContaining("lease expired"),
      current_deployment: { artifact_id: "a1", run_id: first, verified: false },
      last_bootstrap: { run_id: runId, row: "untrusted" },
    });
    expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({
      status: "lease_expired",
      kind: "bootstrap",
      artifact: null,
      lane_state: "stale",
      row: "untrusted",
    });
    expect(await auditLines(w)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^inventory ready -> stale by bootstrap run ${runId} attempt 1 \\(row untrusted: .*lease expired`,
        ),
      ),
    );
  });

  it("is told on GitHub by the evidence sweep, once, and a second gate sweep changes nothing", async () => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    await leaseRunsOut(w);
    const audited = (await auditLines(w)).length;
    await gateSweep(w.deps, w.probot);
    expect(await auditLines(w)).toHaveLength(audited);
    await sweep(w);
    await sweep(w);
    const checks = evidenceChecks(w);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ conclusion: "failure", externalId: `evidence:${runId}:1` });
    expect(checks[0]?.headSha).toBe(w.gh.repo(REPO).runs.get(runId)?.headSha);
    expect(checks[0]?.output.title).toMatch(/^cm\/testing is stale: .*lease expired/);
    expect(w.problems).toEqual([]);
  });

  it("a later completion with a valid artifact is recorded by the table: still stale, artifact shown", async () => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    await leaseRunsOut(w);
    await sweep(w);
    upload(w, runId, result());
    await complete(w, runId);

    expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({
      status: "recorded",
      artifact: { lane: "cm/testing", run_id: runId },
      lane_state: "stale",
      row: "untrusted",
    });
    expect((await inventory(w)).state).toBe("stale");
    const checks = evidenceChecks(w);
    expect(checks).toHaveLength(2);
    expect(checks.at(-1)?.output.summary).toContain("| readiness | pass |");
    expect(w.problems).toEqual([]);
  });
});

describe("a completion whose delivery was missed", () => {
  it("is collected when the reconcile finds the run completed, and no artifact makes the lane stale", async () => {
    const w = await createWorld();
    const first = await allowedRun(w);
    upload(w, first, result());
    await complete(w, first);
    expect(await inventory(w)).toMatchObject({ state: "ready" });
    const runId = await allowedRun(w);
    w.gh.completeRun(REPO, runId, "success"); // its delivery is lost, and it left no artifact
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    expect(await reconcileOperations(w.deps, octokit, REPO)).toEqual([]);
    w.advance(3);
    await sweep(w);
    expect(await inventory(w)).toMatchObject({ state: "stale", last_bootstrap: { run_id: runId } });
    expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({ lane_state: "stale" });
  });
});

describe("a run GitHub no longer has", () => {
  it("ends its operation as run not found and makes the lane stale, the deployment kept unverified", async () => {
    const w = await createWorld();
    const first = await allowedRun(w);
    upload(w, first, result());
    await complete(w, first);
    const runId = await allowedRun(w);
    w.gh.failNext({ method: "GET", pathPattern: new RegExp(`/actions/runs/${runId}$`), status: 404 });
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    expect(await reconcileOperations(w.deps, octokit, REPO)).toEqual([]);

    expect((await read(w.db, (q) => q.select().from(tables(q).operations))).at(-1)).toMatchObject({
      runId,
      conclusion: "run not found",
    });
    expect(await inventory(w)).toMatchObject({
      state: "stale",
      reason: expect.stringContaining("run_not_found"),
      current_deployment: { artifact_id: "a1", run_id: first, verified: false },
      last_bootstrap: { run_id: runId, row: "untrusted" },
    });
    expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({
      status: "recorded",
      error: { code: "run_not_found" },
      lane_state: "stale",
      artifact: null,
    });
    expect(await auditLines(w)).toContainEqual(
      expect.stringMatching(
        new RegExp(`^inventory ready -> stale by bootstrap run ${runId} attempt 1 \\(row untrusted`),
      ),
    );
    await sweep(w);
    expect(evidenceChecks(w).at(-1)).toMatchObject({
      conclusion: "failure",
      externalId: `evidence:${runId}:1`,
      output: { title: expect.stringMatching(/^cm\/testing is stale: /) },
    });
    expect(w.problems).toEqual([]);
  });

  it("after its lease ran out keeps the lease's record: the lane is already stale", async () => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    await leaseRunsOut(w);
    w.gh.failNext({ method: "GET", pathPattern: new RegExp(`/actions/runs/${runId}$`), status: 404 });
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    const audited = (await auditLines(w)).filter((l) => l.startsWith("inventory")).length;
    expect(await reconcileOperations(w.deps, octokit, REPO)).toEqual([]);
    expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({
      status: "lease_expired",
      lane_state: "stale",
    });
    expect((await auditLines(w)).filter((l) => l.startsWith("inventory"))).toHaveLength(audited);
  });
});
