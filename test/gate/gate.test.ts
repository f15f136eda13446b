import { describe, expect, it } from "vitest";
import { read, tables } from "../../src/adapters/store/db.ts";
import type { ReasonCode } from "../../src/core/gate/reasons.ts";
import { gateSweep } from "../../src/pipelines/gate/sweep.ts";
import { reconcileOperations } from "../../src/pipelines/operations.ts";
import { demoConfigWith } from "../support/config.ts";
import {
  approved,
  BOOTSTRAP,
  checksOf,
  dispatch,
  inputs,
  NO_CANCELS,
  reasonOf,
  runOf,
  SYO_BODY,
} from "../support/gate.ts";
import { CM_OPW_BODY, createWorld, REPO, type World } from "../support/world.ts";

function decision(w: World, runId: number, attempt = 1) {
  const checks = checksOf(w, runId, attempt);
  expect(checks).toHaveLength(1);
  return checks[0];
}

describe("the gate allows", () => {
  it("a CM empty bootstrap with the right phrase, with one completed check run for the attempt", async () => {
    const w = await createWorld();
    const issue = await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "Bootstrap  CM testing "));
    const check = decision(w, runId);
    expect(check).toMatchObject({ name: "lanegate: cm/testing", conclusion: "success", status: "completed" });
    expect(check?.headSha).toBe(runOf(w, runId)?.headSha);
    expect(check?.output.summary).toContain(`issues/${issue}`);
    expect(await read(w.db, (q) => q.select().from(tables(q).operations))).toMatchObject([
      { lane: "cm/testing", state: "requested", issueNumber: issue },
    ]);
    expect(w.problems).toEqual([]);
  });

  it("an OPW upstream restore with its restore phrase", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("opw/prod", "upstream_restore", "restore opw prod"));
    expect(decision(w, runId)?.conclusion).toBe("success");
  });

  it("the same decision whichever half of the dispatch-run pair arrives first", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"), {
      order: "run-first",
    });
    expect(decision(w, runId)?.conclusion).toBe("success");
  });
});

describe("the gate refuses", () => {
  const refusals: [string, ReturnType<typeof inputs>, ReasonCode][] = [
    ["the wrong phrase", inputs("cm/prod", "empty", "bootstrap cm testing"), "wrong_confirmation"],
    [
      "a source the lane does not allow",
      inputs("cm/testing", "upstream_restore", "restore cm testing"),
      "source_not_allowed",
    ],
    ["an unknown lane", inputs("zz/prod", "empty", "bootstrap zz prod"), "unknown_lane"],
    ["an unknown source", inputs("cm/testing", "from_tape", "bootstrap cm testing"), "bad_source"],
    ["a lane id that breaks the pattern", inputs("CM_X", "testing", "x"), "bad_lane"],
  ];
  it.each(refusals)("%s, and cancels the run", async (_what, i, code) => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, i);
    const check = decision(w, runId);
    expect(check?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe(code);
    // The check run names the code the operator looks up in docs/operations.md.
    expect(check?.output.summary).toContain(`\`${code}\``);
    expect(runOf(w, runId)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(await read(w.db, (q) => q.select().from(tables(q).operations))).toEqual([]);
    expect(w.problems).toEqual([]);
  });

  it("an invalid lane id under the name the operator typed, so the wait action reads the refusal", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("CM_X/Testing", "empty", "x"));
    expect(decision(w, runId)).toMatchObject({ name: "lanegate: cm_x/testing", conclusion: "failure" });
  });

  it("shows a declared input in the check run and records it with the operation's request", async () => {
    const w = await createWorld({
      config: demoConfigWith([["gate", "inputs"], ["odoo_version"]]),
    });
    await approved(w);
    const runId = await dispatch(w, {
      ...inputs("cm/testing", "empty", "bootstrap cm testing"),
      odoo_version: "17",
    });
    expect(decision(w, runId)?.conclusion).toBe("success");
    expect(decision(w, runId)?.output.summary).toContain("`odoo&#95;version`: 17");
    const [row] = await read(w.db, (q) => q.select().from(tables(q).decisions));
    expect(row?.request).toMatchObject({ inputs: { extra: { odoo_version: "17" } } });
  });

  it("missing or extra inputs", async () => {
    const w = await createWorld();
    await approved(w);
    const missing = await dispatch(w, { context: "cm", instance: "testing", source: "empty" });
    const extra = await dispatch(w, { ...inputs("cm/prod", "empty", "bootstrap cm prod"), force: "yes" });
    expect(decision(w, missing)?.conclusion).toBe("failure");
    expect(await reasonOf(w, missing)).toBe("bad_inputs");
    expect(await reasonOf(w, extra)).toBe("undeclared_input");
  });

  it.each([
    [
      "expired",
      async (w: World) => {
        w.clock.now = new Date("2027-04-01T00:00:00Z");
      },
      "grant_expired",
    ],
    [
      "suspended",
      async (w: World, n: number) => {
        await w.send(w.gh.editIssueBody(REPO, n, CM_OPW_BODY.replace("2027-03-31", "2027-06-30"), "olivia"));
      },
      "grant_suspended",
    ],
    [
      "retired",
      async (w: World, n: number) => {
        await w.send(w.gh.closeIssue(REPO, n, "olivia"));
      },
      "no_grant",
    ],
  ])("a grant that is %s", async (_state, act, code) => {
    const w = await createWorld();
    const n = await approved(w);
    await act(w, n);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(decision(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe(code);
  });

  it("a gated workflow started by a push", async () => {
    const w = await createWorld();
    await approved(w);
    const { runId, requested } = w.gh.createRun(REPO, {
      workflowPath: BOOTSTRAP,
      actor: "olivia",
      event: "push",
    });
    await w.send(requested);
    expect(decision(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("not_dispatched");
  });

  it("a dispatch from a branch the config does not allow", async () => {
    const w = await createWorld();
    await approved(w);
    const d = w.gh.dispatchWorkflow(REPO, {
      workflowPath: `${BOOTSTRAP}@refs/heads/feature`,
      ref: "feature",
      inputs: inputs("cm/testing", "empty", "bootstrap cm testing"),
      actor: "olivia",
    });
    await w.send(d.dispatch, d.requested);
    expect(decision(w, d.runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, d.runId)).toBe("branch_not_allowed");
  });

  it("a run it cannot tie to exactly one dispatch", async () => {
    const w = await createWorld();
    await approved(w);
    const a = w.gh.dispatchWorkflow(REPO, {
      workflowPath: BOOTSTRAP,
      inputs: inputs("cm/testing", "empty", "bootstrap cm testing"),
      actor: "olivia",
      displayTitle: "bootstrap",
    });
    const b = w.gh.dispatchWorkflow(REPO, {
      workflowPath: BOOTSTRAP,
      inputs: inputs("cm/prod", "empty", "bootstrap cm prod"),
      actor: "olivia",
      displayTitle: "bootstrap",
    });
    await w.send(a.dispatch, b.dispatch, a.requested);
    expect(decision(w, a.runId)?.output.title).toContain("put the lane in the workflow's run-name");
    expect(await reasonOf(w, a.runId)).toBe("ambiguous_dispatch");
  });

  it("a second run on a lane while the first is in flight, and allows one after it completes", async () => {
    const w = await createWorld();
    await approved(w);
    const first = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const second = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(decision(w, second)?.output.title).toContain(`run ${first} (attempt 1) is already operating`);
    expect(await reasonOf(w, second)).toBe("lane_busy");
    await w.send(w.gh.completeRun(REPO, first, "success"));
    const third = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(decision(w, third)?.conclusion).toBe("success");
  });

  it("a re-run of an allowed run", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(w.gh.completeRun(REPO, runId, "failure"));
    await w.send(w.gh.rerunRun(REPO, runId, "olivia"));
    expect(decision(w, runId, 2)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId, 2)).toBe("rerun_of_allowed");
  });
});

describe("authoritative lanes and proofs", () => {
  const SYO = SYO_BODY;
  const proof = async (w: World, workflow: string, conclusion = "success") => {
    const d = w.gh.dispatchWorkflow(REPO, {
      workflowPath: `.github/workflows/${workflow}`,
      inputs: { context: "syo", instance: "prod" },
      actor: "olivia",
    });
    await w.send(d.dispatch, d.requested, w.gh.completeRun(REPO, d.runId, conclusion));
  };
  const restore = () => inputs("syo/prod", "backup_restore", "restore syo prod");

  it("refuses without a backup proof", async () => {
    const w = await createWorld();
    await approved(w, SYO);
    const runId = await dispatch(w, restore());
    expect(decision(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("no_fresh_backup");
  });

  it("refuses with a stale backup proof", async () => {
    const w = await createWorld();
    await approved(w, SYO);
    await proof(w, "backup.yml");
    w.advance(60);
    await proof(w, "restore-verify.yml");
    w.advance(25 * 60);
    const runId = await dispatch(w, restore());
    expect(decision(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("no_fresh_backup");
  });

  it("refuses with a restore proof older than the backup", async () => {
    const w = await createWorld();
    await approved(w, SYO);
    await proof(w, "restore-verify.yml");
    w.advance(5);
    await proof(w, "backup.yml");
    const runId = await dispatch(w, restore());
    expect(decision(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("no_restore_proof");
  });

  it("allows with a fresh backup and a newer restore verification", async () => {
    const w = await createWorld();
    await approved(w, SYO);
    await proof(w, "backup.yml");
    w.advance(5);
    await proof(w, "restore-verify.yml");
    const runId = await dispatch(w, restore());
    expect(decision(w, runId)?.conclusion).toBe("success");
  });

  it("never counts a failed proof run", async () => {
    const w = await createWorld();
    await approved(w, SYO);
    await proof(w, "backup.yml", "failure");
    w.advance(5);
    // A restore verification after the failed backup: counting the failed run would allow.
    await proof(w, "restore-verify.yml");
    const runId = await dispatch(w, restore());
    expect(decision(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("no_fresh_backup");
  });
});

describe("deliveries and lifecycle of a gated run", () => {
  it("lists the recent gated runs of the issue's lanes in its status comment", async () => {
    const w = await createWorld();
    const n = await approved(w);
    const allowed = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const refused = await dispatch(w, inputs("cm/prod", "empty", "nope"));
    await expect.poll(() => w.comment(n), { timeout: 3000 }).toContain(`actions/runs/${refused})`);
    const comment = w.comment(n);
    expect(comment).toContain("Recent gated runs");
    expect(comment).toContain(`actions/runs/${allowed})`);
    expect(comment).toMatch(
      new RegExp(`runs/${refused}\\) \\| empty \\| refused: the confirmation phrase does not match`),
    );
  });

  it("gives duplicate deliveries one effect", async () => {
    const w = await createWorld();
    await approved(w);
    const d = w.gh.dispatchWorkflow(REPO, {
      workflowPath: BOOTSTRAP,
      inputs: inputs("cm/testing", "empty", "bootstrap cm testing"),
      actor: "olivia",
    });
    await w.send(d.dispatch, d.requested, d.dispatch, d.requested, w.gh.startRun(REPO, d.runId));
    expect(checksOf(w, d.runId)).toHaveLength(1);
  });

  it("re-evaluates a re-requested check against the current policy", async () => {
    // The refused run is left running here, so there is still something to allow.
    const w = await createWorld({
      config: NO_CANCELS,
    });
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const refused = decision(w, runId);
    expect(refused?.conclusion).toBe("failure");
    await approved(w);
    await w.send(w.gh.rerequestCheckRun(REPO, refused?.id ?? 0, "olivia"));
    const after = checksOf(w, runId);
    expect(after.map((c) => c.conclusion)).toContain("success");
    expect(after.at(-1)?.conclusion).toBe("success");
  });

  it("answers a deployment protection rule with the same decision", async () => {
    const w = await createWorld();
    await approved(w);
    const allowed = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const refused = await dispatch(w, inputs("cm/prod", "empty", "wrong"));
    await w.send(w.gh.requestDeploymentProtection(REPO, allowed, "cm/testing"));
    await w.send(w.gh.requestDeploymentProtection(REPO, refused, "cm/prod"));
    expect(runOf(w, allowed)?.protectionReviews).toMatchObject([
      { environment: "cm/testing", state: "approved" },
    ]);
    expect(runOf(w, refused)?.protectionReviews).toMatchObject([
      { environment: "cm/prod", state: "rejected" },
    ]);
    expect(w.problems).toEqual([]);
  });

  it("maps an environment to its lane through gate.environments", async () => {
    const config = demoConfigWith([["gate", "environments"], { "cm-testing": "cm/testing" }]);
    const w = await createWorld({ config });
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(w.gh.requestDeploymentProtection(REPO, runId, "cm-testing"));
    expect(runOf(w, runId)?.protectionReviews).toMatchObject([
      { environment: "cm-testing", state: "approved" },
    ]);
  });

  it("rejects a protection rule for an environment of another lane", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(w.gh.requestDeploymentProtection(REPO, runId, "cm/prod"));
    expect(runOf(w, runId)?.protectionReviews).toMatchObject([{ state: "rejected" }]);
  });

  it("lets a lease expire into a blocked lane that reconcile clears once GitHub says the run completed", async () => {
    const w = await createWorld();
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    w.advance(7 * 60);
    await gateSweep(w.deps, w.probot);
    expect(await read(w.db, (q) => q.select().from(tables(q).operations))).toMatchObject([
      { state: "stale" },
    ]);
    const blocked = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(decision(w, blocked)?.conclusion).toBe("failure");
    w.gh.completeRun(REPO, runId, "success"); // its delivery is lost
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    expect(await reconcileOperations(w.deps, octokit, REPO)).toEqual([]);
    const next = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(decision(w, next)?.conclusion).toBe("success");
  });

  it("refuses a run whose dispatch never arrives, once the grace period is over", async () => {
    const w = await createWorld();
    await approved(w);
    const d = w.gh.dispatchWorkflow(REPO, {
      workflowPath: BOOTSTRAP,
      inputs: inputs("cm/testing", "empty", "bootstrap cm testing"),
      actor: "olivia",
    });
    await w.send(d.requested);
    expect(checksOf(w, d.runId)).toHaveLength(0);
    w.advance(3);
    await gateSweep(w.deps, w.probot);
    expect(decision(w, d.runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, d.runId)).toBe("no_dispatch");
  });

  it("retries the cancel of a refused run on the next sweep when the first cancel failed", async () => {
    const w = await createWorld();
    await approved(w);
    w.gh.failNext({ method: "POST", pathPattern: /\/cancel$/, status: 502 });
    const runId = await dispatch(w, inputs("cm/testing", "empty", "wrong"));
    expect(runOf(w, runId)?.status).not.toBe("completed");
    await gateSweep(w.deps, w.probot);
    expect(runOf(w, runId)).toMatchObject({ status: "completed", conclusion: "cancelled" });
  });

  it("stores the decision when the check run cannot be written, and writes it on the next sweep", async () => {
    const w = await createWorld();
    await approved(w);
    w.gh.failNext({ method: "POST", pathPattern: /check-runs$/, status: 502 });
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(checksOf(w, runId)).toHaveLength(0);
    await gateSweep(w.deps, w.probot);
    expect(decision(w, runId)?.conclusion).toBe("success");
  });
});
