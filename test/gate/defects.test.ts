// Defects found by trying lanegate as an operator would; each test failed before its fix.
import { describe, expect, it } from "vitest";
import { read, single, tables } from "../../src/adapters/store/db.ts";
import { gateSweep } from "../../src/pipelines/gate/sweep.ts";
import { reconcileRepo } from "../../src/pipelines/lanes/reconcile.ts";
import { reconcileOperations } from "../../src/pipelines/operations.ts";
import { DEMO_CONFIG } from "../../standin/world.ts";
import {
  approved,
  checksOf,
  dispatch,
  inputs,
  NO_CANCELS,
  newest,
  ops,
  pushConfig,
  reasonOf,
  runOf,
  SYO_BODY,
} from "../support/gate.ts";
import { createWorld, REF, REPO, type World } from "../support/world.ts";

const backupOf = (w: World, lane: string) => {
  const [context = "", instance = ""] = lane.split("/");
  return w.gh.dispatchWorkflow(REPO, {
    workflowPath: ".github/workflows/backup.yml",
    inputs: { context, instance },
    actor: "olivia",
  });
};

describe("fixed defects", () => {
  it("never gates or cancels a backup run whose run is reported before its dispatch", async () => {
    const w = await createWorld();
    await approved(w, SYO_BODY);
    const backup = backupOf(w, "syo/prod");
    await w.send(backup.requested, backup.dispatch);
    w.advance(5);
    await gateSweep(w.deps, w.probot);
    expect(checksOf(w, backup.runId)).toEqual([]);
    expect(runOf(w, backup.runId)?.status).not.toBe("completed");
    expect(await read(w.db, (q) => q.select().from(tables(q).decisions))).toEqual([]);
  });

  it("refuses a re-requested run with github_unavailable when GitHub cannot say where the run is", async () => {
    const w = await createWorld({ config: NO_CANCELS });
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(await reasonOf(w, runId)).toBe("unknown_lane");
    w.gh.completeRun(REPO, runId, "success"); // its delivery is lost
    await approved(w);
    w.gh.failNext({ method: "GET", pathPattern: new RegExp(`/actions/runs/${runId}$`), status: 502 });
    await w.send(w.gh.rerequestCheckRun(REPO, newest(w, runId)?.id ?? 0, "olivia"));
    expect(newest(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("github_unavailable");
    expect(await ops(w)).toEqual([]);
  });

  it("links the approval issue in an allowed check run that the sweep wrote after a failed write", async () => {
    const w = await createWorld();
    const issue = await approved(w);
    w.gh.failNext({ method: "POST", pathPattern: /\/check-runs$/, status: 502 });
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(checksOf(w, runId)).toEqual([]);
    await gateSweep(w.deps, w.probot);
    const check = newest(w, runId);
    expect(check?.conclusion).toBe("success");
    expect(check?.output.title).toContain(`issue #${issue}`);
    expect(check?.output.summary).toContain(`issues/${issue}`);
  });

  it("leaves a decision its delivery may still be writing to that delivery, and writes it once the claim ran out", async () => {
    const w = await createWorld();
    await approved(w);
    w.gh.failNext({ method: "POST", pathPattern: /\/check-runs$/, status: 502 });
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    // As a replica killed before it wrote the check run leaves it: no check run, no write error.
    await single(w.db, (q) => q.update(tables(q).decisions).set({ writeError: null }));
    await gateSweep(w.deps, w.probot);
    expect(checksOf(w, runId)).toEqual([]);
    w.advance(1);
    await gateSweep(w.deps, w.probot);
    expect(newest(w, runId)?.conclusion).toBe("success");
  });

  it("finds the fresh backup of an authoritative lane behind many newer backups of other lanes", async () => {
    const w = await createWorld();
    await approved(w, SYO_BODY);
    const mine = backupOf(w, "syo/prod");
    await w.send(mine.dispatch, mine.requested, w.gh.completeRun(REPO, mine.runId, "success"));
    w.advance(1);
    for (let i = 0; i < 105; i += 1) {
      const other = backupOf(w, "cm/prod");
      await w.send(other.dispatch, other.requested, w.gh.completeRun(REPO, other.runId, "success"));
    }
    w.advance(1);
    const verify = w.gh.dispatchWorkflow(REPO, {
      workflowPath: ".github/workflows/restore-verify.yml",
      inputs: { context: "syo", instance: "prod" },
      actor: "olivia",
    });
    await w.send(verify.dispatch, verify.requested, w.gh.completeRun(REPO, verify.runId, "success"));
    const runId = await dispatch(w, inputs("syo/prod", "backup_restore", "restore syo prod"));
    expect(await reasonOf(w, runId)).toBe("ok");
    expect(newest(w, runId)?.conclusion).toBe("success");
  });

  it("frees a lane at the next reconcile when the run's completed delivery was missed", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(await ops(w)).toMatchObject([{ state: "requested" }]);
    w.gh.completeRun(REPO, runId, "success"); // its delivery is lost
    w.advance(15);
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    expect(await reconcileOperations(w.deps, octokit, REPO)).toEqual([]);
    expect(await ops(w)).toMatchObject([{ state: "completed", conclusion: "success" }]);
    const next = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(newest(w, next)?.conclusion).toBe("success");
  });
});

describe("deployment protection rules", () => {
  it("rejects a protection request at once with github_unavailable when GitHub cannot say which attempt runs", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    w.gh.failNext({ method: "GET", pathPattern: new RegExp(`/actions/runs/${runId}$`), status: 502 });
    await w.send(w.gh.requestDeploymentProtection(REPO, runId, "cm/testing"));
    expect(runOf(w, runId)?.protectionReviews).toMatchObject([{ state: "rejected" }]);
    expect(runOf(w, runId)?.protectionReviews[0]?.comment).toContain("github_unavailable");
  });
});

describe("operations", () => {
  it("opens as requested and moves in flight when its run reports in progress", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(await ops(w)).toMatchObject([{ state: "requested" }]);
    await w.send(w.gh.startRun(REPO, runId));
    expect(await ops(w)).toMatchObject([{ state: "in_flight" }]);
    await w.send(w.gh.completeRun(REPO, runId, "success"));
    expect(await ops(w)).toMatchObject([{ state: "completed", conclusion: "success" }]);
  });
});

describe("found in review", () => {
  it("frees a lane at reconcile even when the repository's issues cannot be listed", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    w.gh.completeRun(REPO, runId, "success"); // its delivery is lost
    w.gh.failNext({ method: "GET", pathPattern: /\/issues$/, status: 410, times: 10 });
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    const report = await reconcileRepo(w.deps, octokit, REF, w.gh.repo(REPO).installationId);
    expect(report.failures.join("\n")).toMatch(/issues not reconciled/);
    expect(await ops(w)).toMatchObject([{ state: "completed", conclusion: "success" }]);
  });

  it("never cancels an allowed run that holds its lane when a re-request is refused", async () => {
    const w = await createWorld();
    const n = await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(w.gh.startRun(REPO, runId));
    await w.send(w.gh.closeIssue(REPO, n, "mia"));
    await w.send(w.gh.rerequestCheckRun(REPO, newest(w, runId)?.id ?? 0, "olivia"));
    expect(await reasonOf(w, runId)).toBe("no_grant");
    await gateSweep(w.deps, w.probot);
    expect(runOf(w, runId)?.status).toBe("in_progress");
    expect(await ops(w)).toMatchObject([{ state: "in_flight" }]);
  });

  it("does not cancel a run's allowed re-run when the sweep writes the refused first attempt again", async () => {
    const w = await createWorld({ config: NO_CANCELS });
    w.gh.failNext({ method: "POST", pathPattern: /\/check-runs$/, status: 502 });
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(checksOf(w, runId)).toEqual([]); // attempt 1 refused, its check run not written
    await w.send(w.gh.completeRun(REPO, runId, "failure"));
    await approved(w);
    await pushConfig(w, DEMO_CONFIG);
    await w.send(w.gh.rerunRun(REPO, runId, "olivia"));
    expect(newest(w, runId, 2)?.conclusion).toBe("success");
    await gateSweep(w.deps, w.probot);
    expect(newest(w, runId, 1)?.conclusion).toBe("failure");
    expect(runOf(w, runId)?.status).not.toBe("completed");
  });
});
