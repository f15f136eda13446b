// What each kind of delivery costs in API requests, against the budgets of docs/performance.md:
// nothing for deliveries that cannot matter, at most 4 per approval-issue delivery on average,
// at most 2.5 per gated run (both deliveries, the check run and the cancel), whatever the lanes.
import { describe, expect, it } from "vitest";
import { policyBody } from "../../bench/workload.ts";
import { read, tables } from "../../src/adapters/store/db.ts";
import type { RecordedRequest } from "../../standin/index.ts";
import { dispatch, inputs } from "../support/gate.ts";
import { requestsDuring } from "../support/requests.ts";
import { createWorld, REPO, type World } from "../support/world.ts";

const route = (r: RecordedRequest) => `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, "/N")}`;
// Status comments of gated runs are refreshed in a batch after decisions: not the run's cost.
const notComments = (rs: RecordedRequest[]) => rs.filter((r) => !r.path.includes("/comments"));

/** A world whose config has been read once, by an issue that does not matter. */
async function warmWorld(): Promise<World> {
  const w = await createWorld();
  await w.send(
    w.gh.openIssue(REPO, { author: "olivia", title: "warm up", body: "" }).deliveries[0] ?? never(),
  );
  return w;
}

function never(): never {
  throw new Error("the stand-in sent no delivery");
}

describe("deliveries that cannot matter cost nothing", () => {
  it("an issue without the label or a lane-policy block: no request and no write", async () => {
    const w = await warmWorld();
    const opened = w.gh.openIssue(REPO, { author: "olivia", title: "a bug", body: "it broke" });
    const sent = [
      ...opened.deliveries,
      w.gh.addLabel(REPO, opened.number, "bug", "mia"),
      w.gh.editIssueBody(REPO, opened.number, "it broke again", "olivia"),
      w.gh.closeIssue(REPO, opened.number, "mia"),
    ];
    const requests = await requestsDuring(w, () => w.send(...sent));
    expect(requests.map(route)).toEqual([]);
    const marked = (await read(w.db, (q) => q.select().from(tables(q).deliveries))).map((d) => d.id);
    expect(marked.filter((id) => sent.some((d) => d.id === id))).toEqual([]);
  });

  it("in a repository whose config was never read, it reads the config and nothing else", async () => {
    const w = await createWorld();
    const opened = w.gh.openIssue(REPO, { author: "olivia", title: "a bug", body: "it broke" });
    const requests = await requestsDuring(w, () => w.send(...opened.deliveries));
    expect(requests.map(route)).toEqual(["GET /repos/acme/platform/contents/.github%2Flanegate.yml"]);
  });

  it("an edit that removes a lane-policy block is taken, since the block was there before", async () => {
    const w = await warmWorld();
    const opened = w.gh.openIssue(REPO, { author: "olivia", title: "x", body: "nothing" });
    await w.send(...opened.deliveries);
    w.gh.editIssueBody(REPO, opened.number, policyBody(4, 1), "olivia"); // a delivery the app missed
    const removed = w.gh.editIssueBody(REPO, opened.number, "nothing", "olivia");
    const requests = await requestsDuring(w, () => w.send(removed));
    expect(requests.length).toBeGreaterThan(0);
  });

  it("a run of a workflow the gate does not know: no request", async () => {
    const w = await warmWorld();
    const run = w.gh.createRun(REPO, { workflowPath: "ci.yml", actor: "olivia" });
    const requests = await requestsDuring(w, () => w.send(run.requested, w.gh.completeRun(REPO, run.runId)));
    expect(requests.map(route)).toEqual([]);
  });
});

describe.each([4, 50])("with %i lanes in the approval issue", (lanes) => {
  it("an approval issue costs at most 4 requests per delivery over opened, labeled, edited and closed", async () => {
    const w = await warmWorld();
    const opened = w.gh.openIssue(REPO, { author: "olivia", title: "approval", body: policyBody(lanes, 1) });
    const steps = [
      () => opened.deliveries,
      () => [w.gh.addLabel(REPO, opened.number, "lane-policy", "mia")],
      () => [w.gh.editIssueBody(REPO, opened.number, policyBody(lanes, 2), "mia")],
      () => [w.gh.closeIssue(REPO, opened.number, "olivia")],
    ];
    const counts: number[] = [];
    for (const step of steps) counts.push((await requestsDuring(w, () => w.send(...step()))).length);
    expect(counts.reduce((a, b) => a + b, 0) / counts.length).toBeLessThanOrEqual(4);
  });

  it("an edit by someone who is not an approver costs at most 5 (their standing is read too)", async () => {
    const w = await warmWorld();
    const opened = w.gh.openIssue(REPO, { author: "olivia", title: "approval", body: policyBody(lanes, 1) });
    await w.send(...opened.deliveries, w.gh.addLabel(REPO, opened.number, "lane-policy", "mia"));
    const edit = w.gh.editIssueBody(REPO, opened.number, policyBody(lanes, 2), "olivia");
    expect((await requestsDuring(w, () => w.send(edit))).length).toBeLessThanOrEqual(5);
  });

  it("a gated run costs at most 2.5 requests on average, allowed or refused", async () => {
    const w = await warmWorld();
    const opened = w.gh.openIssue(REPO, { author: "olivia", title: "approval", body: policyBody(lanes, 1) });
    await w.send(...opened.deliveries, w.gh.addLabel(REPO, opened.number, "lane-policy", "mia"));
    const phrase = `bootstrap l0 testing r1`;
    const counts: number[] = [];
    for (const confirmation of [phrase, "wrong phrase"]) {
      let runId = 0;
      const requests = await requestsDuring(w, async () => {
        runId = await dispatch(w, inputs("l0/testing", "empty", confirmation));
      });
      counts.push(notComments(requests).length);
      await w.send(w.gh.completeRun(REPO, runId, "success"));
    }
    expect(counts.reduce((a, b) => a + b, 0) / counts.length).toBeLessThanOrEqual(2.5);
  });
});

it("a proof run costs no request", async () => {
  const w = await warmWorld();
  const proof = w.gh.dispatchWorkflow(REPO, {
    workflowPath: ".github/workflows/backup.yml",
    inputs: inputs("cm/testing", "empty", ""),
    actor: "olivia",
  });
  const requests = await requestsDuring(w, () =>
    w.send(proof.dispatch, proof.requested, w.gh.completeRun(REPO, proof.runId, "success")),
  );
  expect(notComments(requests).map(route)).toEqual([]);
});
