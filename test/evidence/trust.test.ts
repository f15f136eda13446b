// Which runs' artifacts lanegate believes: the gate's verdict on a run comes before the config's
// lists, a workflow cannot be both gated and a deploy workflow, and a deploy workflow reports a
// deployment only from its reviewed file (the default branch) run by a push or by hand.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { read, tables } from "../../src/adapters/store/db.ts";
import { auditPage } from "../../src/adapters/store/read.ts";
import { parseConfig } from "../../src/core/config/load.ts";
import { result, resultZip } from "../../standin/artifacts.ts";
import { demoConfigWith } from "../support/config.ts";
import { complete, inventory, requestsSince } from "../support/evidence.ts";
import { dispatch, inputs, NO_CANCELS, pushConfig, reasonOf } from "../support/gate.ts";
import { createWorld, REPO, type World } from "../support/world.ts";

const auditLines = async (w: World) =>
  (await read(w.db, (q) => auditPage(q, REPO, 100))).entries.map((e) => e.change);
const recordOf = async (w: World, runId: number) =>
  (await read(w.db, (q) => q.select().from(tables(q).runEvidence))).find((r) => r.runId === runId);

/** A deployment artifact for cm/prod that passes everything, as `runId` would upload it. */
function uploadDeployment(w: World, runId: number) {
  const a = result({
    kind: "deployment",
    lane: "cm/prod",
    run_id: runId,
    artifact_id: "a9",
    runtime_identity: { status: "unchecked" },
  });
  w.gh.uploadArtifact(REPO, runId, "lanegate-result", resultZip(a));
}

describe("a workflow both gated and listed for deployments", () => {
  it("is a config error, as a workflow both gated and a proof is", () => {
    const both = demoConfigWith([
      ["evidence", "deploy_workflows"],
      ["deploy.yml", "odoo-stable-bootstrap.yml"],
    ]);
    expect(parseConfig(parse(both))).toEqual({
      status: "invalid",
      config: null,
      errors: ["evidence.deploy_workflows.1: is also a gated workflow"],
    });
  });

  it("a run the gate refused is never believed, even once a later config lists its workflow for deployments", async () => {
    const w = await createWorld({ config: NO_CANCELS });
    const runId = await dispatch(w, inputs("cm/prod", "empty", "bootstrap cm prod"));
    expect(await reasonOf(w, runId)).not.toBe("ok");
    const moved = NO_CANCELS.replace("workflows: [odoo-stable-bootstrap.yml]", "workflows: []").replace(
      "deploy_workflows: [deploy.yml]",
      "deploy_workflows: [deploy.yml, odoo-stable-bootstrap.yml]",
    );
    await pushConfig(w, moved);
    uploadDeployment(w, runId);
    await complete(w, runId);
    expect(await recordOf(w, runId)).toMatchObject({
      kind: "bootstrap",
      errorCode: "run_not_allowed",
      artifact: null,
    });
    expect(await inventory(w, "cm/prod")).not.toMatchObject({ state: "ready" });
    expect((await inventory(w, "cm/prod")).current_deployment).toBeNull();
  });
});

describe("a deploy workflow's run", () => {
  it.each([
    ["a branch other than the default", { branch: "feature/x", event: "push" }],
    ["a schedule", { event: "schedule" }],
    ["a pull request", { event: "pull_request" }],
  ])("from %s is never read, and the audit log says why", async (_name, how) => {
    const w = await createWorld();
    const { runId } = w.gh.createRun(REPO, { workflowPath: "deploy.yml", actor: "olivia", ...how });
    uploadDeployment(w, runId);
    const from = w.gh.requests.length;
    await complete(w, runId);
    expect(requestsSince(w, from).filter((r) => r.includes("/actions/"))).toEqual([]);
    expect((await inventory(w, "cm/prod")).state).toBe("unknown");
    expect(await recordOf(w, runId)).toMatchObject({ kind: "deployment", status: "ignored", lane: null });
    expect(await auditLines(w)).toContainEqual(
      expect.stringMatching(new RegExp(`^deployment run ${runId} attempt 1 not read: deploy.yml ran on`)),
    );
    const redelivered = w.gh.completeRun(REPO, runId, "success");
    await w.send({ ...redelivered, id: `${redelivered.id}-again` });
    expect((await auditLines(w)).filter((l) => l.includes("not read"))).toHaveLength(1);
  });

  it.each([
    ["a push to the default branch", { event: "push" }],
    ["a dispatch on the default branch", { event: "workflow_dispatch" }],
  ])("from %s sets the lane's deployment", async (_name, how) => {
    const w = await createWorld();
    const { runId } = w.gh.createRun(REPO, { workflowPath: "deploy.yml", actor: "olivia", ...how });
    uploadDeployment(w, runId);
    await complete(w, runId);
    expect(await inventory(w, "cm/prod")).toMatchObject({
      state: "ready",
      current_deployment: { artifact_id: "a9", run_id: runId },
    });
  });
});
