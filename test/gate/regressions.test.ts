// Regressions from a review of the gate: each scenario once let the gate allow what it should
// refuse, lose a decision or block a lane; each now asserts the fail-closed behaviour.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { read, tables, transaction } from "../../src/adapters/store/db.ts";
import * as runStore from "../../src/adapters/store/runs.ts";
import { gateSweep } from "../../src/pipelines/gate/sweep.ts";
import { reconcileOperations } from "../../src/pipelines/operations.ts";
import { demoConfigWith } from "../support/config.ts";
import {
  approved,
  checksOf,
  dispatch,
  dispatchOf,
  inputs,
  NO_CANCELS,
  newest,
  ops,
  pushConfig,
  reasonOf,
  runOf,
  SYO_BODY as SYO,
} from "../support/gate.ts";
import { createWorld, REPO } from "../support/world.ts";

describe("the gate does not allow what it should refuse", () => {
  it("counts no proof run dispatched from a branch the config does not allow", async () => {
    const w = await createWorld();
    await approved(w, SYO);
    for (const wf of ["backup.yml", "restore-verify.yml"]) {
      const path = `.github/workflows/${wf}@refs/heads/evil`;
      const d = dispatchOf(w, { context: "syo", instance: "prod" }, { workflowPath: path, ref: "evil" });
      await w.send(d.dispatch, d.requested, w.gh.completeRun(REPO, d.runId, "success"));
      w.advance(5);
    }
    const runId = await dispatch(w, inputs("syo/prod", "backup_restore", "restore syo prod"));
    expect(newest(w, runId)?.conclusion).toBe("failure");
  });

  it("never joins a run whose run-name names cm/prod to a cm/testing dispatch", async () => {
    const w = await createWorld();
    await approved(w);
    const testing = dispatchOf(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const prod = dispatchOf(w, inputs("cm/prod", "empty", "bootstrap cm prod"));
    await w.send(testing.dispatch, prod.requested, prod.dispatch, testing.requested);
    expect(newest(w, prod.runId)?.name).toBe("lanegate: cm/prod");
    expect(newest(w, testing.runId)?.name).toBe("lanegate: cm/testing");
  });

  it("does not let a late completion of attempt 1 end attempt 2's operation", async () => {
    const w = await createWorld();
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(newest(w, runId)?.conclusion).toBe("failure");
    const lateCompleted = w.gh.completeRun(REPO, runId, "cancelled");
    await approved(w);
    await w.send(w.gh.rerunRun(REPO, runId, "olivia"));
    expect(newest(w, runId, 2)?.conclusion).toBe("success");
    await w.send(lateCompleted);
    expect(await ops(w)).toMatchObject([{ attempt: 2, state: "in_flight" }]);
    const second = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(newest(w, second)?.conclusion).toBe("failure");
  });

  it("answers a protection rule of a re-run with the re-run's decision, not the first attempt's", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(w.gh.completeRun(REPO, runId, "failure"));
    const rerun = w.gh.rerunRun(REPO, runId, "olivia");
    await w.send(w.gh.requestDeploymentProtection(REPO, runId, "cm/testing"));
    expect(runOf(w, runId)?.protectionReviews).toEqual([]); // waits for attempt 2's decision
    await w.send(rerun);
    expect(newest(w, runId, 2)?.conclusion).toBe("failure");
    expect(runOf(w, runId)?.protectionReviews).toMatchObject([{ state: "rejected" }]);
  });

  it("refuses an old resettable grant once the config declares the lane authoritative", async () => {
    const w = await createWorld();
    await approved(w);
    const stronger = demoConfigWith([["lanes", "cm/prod"], { data_authority: "authoritative" }]);
    await pushConfig(w, stronger);
    const runId = await dispatch(w, inputs("cm/prod", "empty", "bootstrap cm prod"));
    expect(newest(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("grant_invalid");
    expect(newest(w, runId)?.output.summary).toContain("declares cm/prod authoritative");
  });

  it("never rewrites an older decision over a newer one", async () => {
    const w = await createWorld();
    const n = await approved(w);
    await pushConfig(w, NO_CANCELS);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const c1 = newest(w, runId);
    await read(w.db, (q) =>
      q.update(tables(q).decisions).set({ checkWrittenAt: null, checkRunId: null, writeError: "timeout" }),
    );
    await w.send(w.gh.closeIssue(REPO, n, "mia"));
    await w.send(w.gh.rerequestCheckRun(REPO, c1?.id ?? 0, "olivia"));
    await gateSweep(w.deps, w.probot);
    expect(newest(w, runId)?.conclusion).toBe("failure");
  });

  it("writes a re-requested decision as the newest check run, which the wait action reads", async () => {
    const w = await createWorld();
    const n = await approved(w);
    await pushConfig(w, NO_CANCELS);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const c1 = newest(w, runId);
    await w.send(w.gh.closeIssue(REPO, n, "mia"));
    await w.send(w.gh.rerequestCheckRun(REPO, c1?.id ?? 0, "olivia"));
    expect(checksOf(w, runId).map((c) => c.conclusion)).toEqual(["success", "failure"]);
    expect(newest(w, runId)?.conclusion).toBe("failure");
  });

  it("decides a run once when two of its deliveries arrive at the same moment", async () => {
    const w = await createWorld();
    await approved(w);
    const d = dispatchOf(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(d.dispatch);
    const started = w.gh.startRun(REPO, d.runId);
    await Promise.all(
      [d.requested, started].map((x) =>
        w.probot.receive({ id: x.id, name: x.name, payload: x.payload } as never),
      ),
    );
    expect(checksOf(w, d.runId)).toHaveLength(1);
    const decided = await read(w.db, (q) =>
      q
        .select()
        .from(tables(q).decisions)
        .where(eq(tables(q).decisions.runId, d.runId)),
    );
    expect(decided).toHaveLength(1);
  });
});

describe("proofs", () => {
  it("does not hand one lane's backup run to another lane's dispatch", async () => {
    const w = await createWorld();
    await approved(w, SYO);
    const wf = { workflowPath: ".github/workflows/backup.yml" };
    const syo = dispatchOf(w, { context: "syo", instance: "prod" }, wf);
    const cm = dispatchOf(w, { context: "cm", instance: "testing" }, wf);
    await w.send(syo.dispatch, cm.requested, w.gh.completeRun(REPO, cm.runId, "success"));
    await w.send(cm.dispatch, syo.requested, w.gh.completeRun(REPO, syo.runId, "failure"));
    w.advance(5);
    const r = dispatchOf(
      w,
      { context: "syo", instance: "prod" },
      { workflowPath: ".github/workflows/restore-verify.yml" },
    );
    await w.send(r.dispatch, r.requested, w.gh.completeRun(REPO, r.runId, "success"));
    const runId = await dispatch(w, inputs("syo/prod", "backup_restore", "restore syo prod"));
    expect(newest(w, runId)?.conclusion).toBe("failure");
  });

  it("does not count a restore verification that started before the backup finished", async () => {
    const w = await createWorld();
    await approved(w, SYO);
    const restore = dispatchOf(
      w,
      { context: "syo", instance: "prod" },
      { workflowPath: ".github/workflows/restore-verify.yml" },
    );
    await w.send(restore.dispatch, restore.requested);
    w.advance(1);
    const backup = dispatchOf(
      w,
      { context: "syo", instance: "prod" },
      { workflowPath: ".github/workflows/backup.yml" },
    );
    await w.send(backup.dispatch, backup.requested);
    w.advance(5);
    await w.send(w.gh.completeRun(REPO, backup.runId, "success"));
    w.advance(5);
    await w.send(w.gh.completeRun(REPO, restore.runId, "success"));
    const runId = await dispatch(w, inputs("syo/prod", "backup_restore", "restore syo prod"));
    expect(newest(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("no_restore_proof");
  });
});

describe("lanes do not hang and decisions are not lost", () => {
  it("refuses a re-requested check of a run that already finished, and opens no operation", async () => {
    const w = await createWorld();
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const refused = newest(w, runId);
    await approved(w);
    await w.send(w.gh.rerequestCheckRun(REPO, refused?.id ?? 0, "olivia"));
    expect(newest(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("run_finished");
    expect(await ops(w)).toEqual([]);
  });

  it("opens no operation for a run that completed before its dispatch arrived", async () => {
    const w = await createWorld();
    await approved(w);
    const d = dispatchOf(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(d.requested, w.gh.completeRun(REPO, d.runId, "cancelled"), d.dispatch);
    expect(await ops(w)).toEqual([]);
  });

  it("retries a protection-rule answer that failed", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    w.gh.failNext({ method: "POST", pathPattern: /deployment_protection_rule$/, status: 502 });
    await w.send(w.gh.requestDeploymentProtection(REPO, runId, "cm/testing"));
    expect(runOf(w, runId)?.protectionReviews).toEqual([]);
    await gateSweep(w.deps, w.probot);
    expect(runOf(w, runId)?.protectionReviews).toMatchObject([{ state: "approved" }]);
    expect(await read(w.db, (q) => q.select().from(tables(q).protectionRequests))).toMatchObject([
      { answer: "approved" },
    ]);
  });

  it("ends a stale operation whose run GitHub no longer has", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    w.advance(7 * 60);
    await gateSweep(w.deps, w.probot);
    w.gh.failNext({
      method: "GET",
      pathPattern: new RegExp(`/actions/runs/${runId}$`),
      status: 404,
      times: 10,
    });
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    expect(await reconcileOperations(w.deps, octokit, REPO)).toEqual([]);
    expect(await ops(w)).toMatchObject([{ state: "completed", conclusion: "run not found" }]);
  });

  it("does not let a run the sweep already refused take the next dispatch", async () => {
    const w = await createWorld();
    await approved(w);
    const lost = dispatchOf(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(lost.requested);
    w.advance(3);
    await gateSweep(w.deps, w.probot);
    expect(newest(w, lost.runId)?.conclusion).toBe("failure");
    const next = dispatchOf(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(next.dispatch, next.requested);
    expect(newest(w, next.runId)?.conclusion).toBe("success");
  });

  it("retries only the newest decision of an attempt", async () => {
    const w = await createWorld();
    const base = {
      repo: "a/b",
      runId: 1,
      attempt: 1,
      lane: "cm/testing",
      request: {},
      checks: [],
      issueNumber: null,
      blockSha: null,
      decidedAt: "x",
    };
    await transaction(w.db, async (q) => {
      await runStore.insertDecision(q, { ...base, allowed: true, checkRunId: null });
      const fresh = await runStore.insertDecision(q, { ...base, allowed: false, checkRunId: null });
      await runStore.markCheckWritten(q, fresh.id, 7, "y");
    });
    expect(await read(w.db, (q) => runStore.unwrittenDecisions(q, "z"))).toEqual([]);
  });
});
