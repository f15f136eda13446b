import { describe, expect, it } from "vitest";
import { read } from "../../src/adapters/store/db.ts";
import { auditPage } from "../../src/adapters/store/read.ts";
import { logo404, result, zipOf } from "../../standin/artifacts.ts";
import {
  allowedRun,
  complete,
  evidenceChecks,
  evidenceOfRun,
  inventory,
  requestsSince,
  sweep,
  upload,
} from "../support/evidence.ts";
import { dispatch, inputs } from "../support/gate.ts";
import { createWorld, REPO } from "../support/world.ts";
import { bombZip } from "./artifacts.ts";

describe("evidence from the stand-in", () => {
  it("reads a present artifact: list, download through the redirect without the token, one check run", async () => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    upload(w, runId, result({ lane: "cm/testing" }));
    const from = w.gh.requests.length;
    await complete(w, runId);
    expect(requestsSince(w, from).filter((r) => !r.includes("/issues"))).toEqual([
      `GET /actions/runs/${runId}/artifacts`,
      expect.stringMatching(/^GET \/actions\/artifacts\/\d+\/zip$/),
      "POST /check-runs",
    ]);
    expect(w.gh.leakedAuthorization).toEqual([]);
    expect(await inventory(w)).toMatchObject({
      state: "ready",
      current_deployment: { artifact_id: "a1", source_git_ref: "d86025a0", run_id: runId, verified: true },
      last_bootstrap: { run_id: runId, row: "ready" },
    });
    const [check] = evidenceChecks(w);
    expect(check).toMatchObject({
      conclusion: "success",
      status: "completed",
      externalId: `evidence:${runId}:1`,
    });
    expect(check?.headSha).toBe(w.gh.repo(REPO).runs.get(runId)?.headSha);
    expect(check?.output.title).toContain("cm/testing is ready");
    expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({
      status: "recorded",
      lane_state: "ready",
    });
    expect(w.problems).toEqual([]);
  });

  it("a logo 404 is verification_failed: failure check, probe in the summary, deployment kept", async () => {
    const w = await createWorld();
    const first = await allowedRun(w);
    upload(w, first, result());
    await complete(w, first);
    const second = await allowedRun(w);
    upload(w, second, logo404({ artifact_id: "a2", runtime_identity: { status: "unchecked" } }));
    await complete(w, second);
    expect(await inventory(w)).toMatchObject({
      state: "verification_failed",
      current_deployment: { artifact_id: "a1", run_id: first, verified: false },
    });
    const check = evidenceChecks(w).at(-1);
    expect(check?.conclusion).toBe("failure");
    expect(check?.output.summary).toMatch(/\| logo \| fail \| 404 \|/);
    const audit = (await read(w.db, (q) => auditPage(q, REPO, 50))).entries.map((e) => e.change);
    expect(audit).toContainEqual(
      expect.stringContaining(`inventory ready -> verification_failed by bootstrap run ${second}`),
    );
    await new Promise((r) => setTimeout(r, 100)); // the status comments are refreshed in a batch
    expect(w.comment(1)).toMatch(
      new RegExp(`runs/${second}\\) \\| empty \\| allowed \\| success \\| verification&#95;failed \\|`),
    );
  });

  it("a late artifact is read by the sweep; a missing one is recorded 2 minutes after completion", async () => {
    const w = await createWorld();
    const late = await allowedRun(w);
    await complete(w, late);
    expect((await evidenceOfRun(w, late))?.evidence?.status).toBe("awaiting_artifact");
    expect(evidenceChecks(w)).toEqual([]);
    upload(w, late, result());
    w.advance(1);
    await sweep(w);
    expect((await inventory(w)).state).toBe("ready");

    const missing = await allowedRun(w);
    await complete(w, missing);
    w.advance(1);
    await sweep(w);
    expect((await inventory(w)).state).toBe("ready");
    w.advance(1);
    await sweep(w);
    expect((await evidenceOfRun(w, missing))?.evidence).toMatchObject({
      error: { code: "artifact_missing" },
      lane_state: "stale",
    });
    expect(await inventory(w)).toMatchObject({ state: "stale", current_deployment: { verified: false } });
    expect(evidenceChecks(w).at(-1)?.conclusion).toBe("failure");
  });

  it.each([
    ["malformed JSON", () => zipOf({ "lanegate-result.json": "{ not json" }), "json_invalid"],
    [
      "a wrong schema_version",
      () => zipOf({ "lanegate-result.json": JSON.stringify({ ...result(), schema_version: 2 }) }),
      "schema_version",
    ],
    ["two entries", () => zipOf({ "lanegate-result.json": "{}", "x.txt": "x" }), "zip_entries"],
    ["a path outside", () => zipOf({ "../lanegate-result.json": "{}" }), "zip_path"],
    ["a bomb", bombZip, "unzipped_too_large"],
    ["a zip over 1 MiB", () => new Uint8Array(1024 * 1024 + 10), "artifact_too_large"],
  ])(
    "%s is an evidence error: the lane stale, never ready, the reason in the read model",
    async (_n, bytes, code) => {
      const w = await createWorld();
      const runId = await allowedRun(w);
      upload(w, runId, bytes());
      await complete(w, runId);
      expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({
        error: { code },
        lane_state: "stale",
        artifact: null,
      });
      expect((await inventory(w)).state).toBe("stale");
      expect(evidenceChecks(w)[0]?.conclusion).toBe("failure");
      expect(w.gh.leakedAuthorization).toEqual([]);
    },
  );

  it.each([
    ["another run", (runId: number) => result({ run_id: runId + 1 }), "run_mismatch"],
    ["another lane", () => result({ lane: "cm/prod" }), "lane_mismatch"],
    ["a deployment, from a gated workflow", () => result({ kind: "deployment" }), "workflow_not_listed"],
  ])("an artifact naming %s is not believed", async (_n, make, code) => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    upload(w, runId, make(runId));
    await complete(w, runId);
    expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({ error: { code }, lane_state: "stale" });
    expect((await inventory(w)).state).toBe("stale");
  });

  it("a redelivered completion has one effect", async () => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    upload(w, runId, result());
    const done = w.gh.completeRun(REPO, runId);
    await w.send(done, { ...done, id: `${done.id}-again` });
    expect(evidenceChecks(w)).toHaveLength(1);
  });

  it("an artifact from a run lanegate refused is never believed: the lane goes stale", async () => {
    const w = await createWorld();
    await allowedRun(w);
    const refused = await dispatch(w, inputs("cm/prod", "empty", "wrong phrase"));
    upload(w, refused, result({ lane: "cm/prod" }));
    await complete(w, refused);
    expect(await inventory(w, "cm/prod")).toMatchObject({ state: "stale" });
    expect((await read(w.db, (q) => auditPage(q, REPO, 50))).entries.map((e) => e.change)).toContainEqual(
      expect.stringContaining("evidence error run_not_allowed"),
    );
    expect(evidenceChecks(w, "cm/prod")[0]?.conclusion).toBe("failure");
  });

  it("a refused run that left no artifact changes nothing", async () => {
    const w = await createWorld();
    await allowedRun(w);
    const refused = await dispatch(w, inputs("cm/prod", "empty", "wrong phrase"));
    await complete(w, refused, "cancelled");
    w.advance(3);
    await sweep(w);
    expect((await inventory(w, "cm/prod")).state).toBe("unknown");
    expect(evidenceChecks(w, "cm/prod")).toEqual([]);
  });

  it("a deploy workflow's run sets the lane from its artifact; an unlisted workflow is never read", async () => {
    const w = await createWorld();
    const deploy = w.gh.createRun(REPO, { workflowPath: "deploy.yml", actor: "olivia" });
    w.gh.uploadArtifact(
      REPO,
      deploy.runId,
      "lanegate-result",
      zipOf({
        "lanegate-result.json": JSON.stringify(
          result({
            kind: "deployment",
            lane: "cm/prod",
            run_id: deploy.runId,
            artifact_id: "a9",
            runtime_identity: { status: "unchecked" },
          }),
        ),
      }),
    );
    await complete(w, deploy.runId);
    expect(await inventory(w, "cm/prod")).toMatchObject({
      state: "ready",
      current_deployment: { artifact_id: "a9", run_id: deploy.runId },
    });
    expect((await inventory(w, "cm/prod")).last_bootstrap).toBeNull();

    const other = w.gh.createRun(REPO, { workflowPath: "ci.yml", actor: "olivia" });
    w.gh.uploadArtifact(
      REPO,
      other.runId,
      "lanegate-result",
      zipOf({
        "lanegate-result.json": JSON.stringify(
          result({ kind: "deployment", lane: "cm/testing", run_id: other.runId }),
        ),
      }),
    );
    const from = w.gh.requests.length;
    await complete(w, other.runId);
    expect(requestsSince(w, from)).toEqual([]);
    expect((await inventory(w)).state).toBe("unknown");
  });
});
