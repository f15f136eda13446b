// A run's artifact list spans every attempt of the run, and GitHub's artifact object names the
// run but not the attempt. Each attempt's evidence is its own: a refused re-run that uploaded
// nothing changes nothing, and a later attempt is never judged by an earlier attempt's artifact.
import { describe, expect, it } from "vitest";
import { read, tables } from "../../src/adapters/store/db.ts";
import { auditPage } from "../../src/adapters/store/read.ts";
import { chooseAttemptArtifact, type ListedArtifact } from "../../src/core/evidence/attempt.ts";
import { result } from "../../standin/artifacts.ts";
import {
  allowedRun,
  complete,
  evidenceChecks,
  inventory,
  requestsSince,
  sweep,
  upload,
} from "../support/evidence.ts";
import { approved, dispatch, inputs, NO_CANCELS, reasonOf } from "../support/gate.ts";
import { createWorld, REPO, type World } from "../support/world.ts";

const auditLines = async (w: World) =>
  (await read(w.db, (q) => auditPage(q, REPO, 100))).entries.map((e) => e.change);
const evidenceRow = async (w: World, runId: number, attempt: number) =>
  (await read(w.db, (q) => q.select().from(tables(q).runEvidence))).find(
    (r) => r.runId === runId && r.attempt === attempt,
  );

describe("evidence is matched to the attempt that uploaded it", () => {
  it("a refused re-run that uploaded nothing leaves a ready lane ready and its last bootstrap alone", async () => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    upload(w, runId, result());
    await complete(w, runId);
    const before = await inventory(w);
    expect(before).toMatchObject({ state: "ready", last_bootstrap: { run_id: runId, run_attempt: 1 } });

    w.advance(1);
    await w.send(w.gh.rerunRun(REPO, runId, "olivia"));
    expect(await reasonOf(w, runId, 2)).toBe("rerun_of_allowed"); // refused and cancelled
    await complete(w, runId, "cancelled"); // attempt 2 uploaded nothing
    w.advance(3);
    await sweep(w);

    expect(await inventory(w)).toEqual(before);
    expect(await evidenceRow(w, runId, 2)).toMatchObject({
      status: "ignored",
      laneState: null,
      errorCode: null,
    });
    expect(evidenceChecks(w)).toHaveLength(1);
    expect((await auditLines(w)).filter((l) => l.includes("run_not_allowed"))).toEqual([]);
    expect(w.problems).toEqual([]);
  });

  it("a later attempt whose artifact comes late is judged by its own artifact, not an earlier attempt's", async () => {
    const w = await createWorld({ config: NO_CANCELS });
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    expect(await reasonOf(w, runId)).toBe("unknown_lane"); // attempt 1 refused: no approval yet
    upload(w, runId, result({ bootstrap_run_status: "not_started" }));
    await complete(w, runId, "failure");
    await approved(w);
    await w.send(w.gh.rerunRun(REPO, runId, "olivia"));
    expect(await reasonOf(w, runId, 2)).toBe("ok");
    w.advance(1);
    await complete(w, runId); // attempt 2's artifact is not listed yet
    expect(await evidenceRow(w, runId, 2)).toMatchObject({ status: "awaiting_artifact" });

    upload(w, runId, result({ run_attempt: 2 }));
    w.advance(1);
    await sweep(w);
    expect(await inventory(w)).toMatchObject({
      state: "ready",
      current_deployment: { artifact_id: "a1", run_id: runId, run_attempt: 2, verified: true },
      last_bootstrap: { run_id: runId, run_attempt: 2, row: "ready" },
    });
    expect(evidenceChecks(w).at(-1)).toMatchObject({
      conclusion: "success",
      externalId: `evidence:${runId}:2`,
    });
    expect(w.problems).toEqual([]);
  });

  it("places a re-run's artifact by when the attempt started, and never downloads a refused attempt's", async () => {
    const w = await createWorld({ config: NO_CANCELS });
    const runId = await allowedRun(w);
    await complete(w, runId, "failure"); // attempt 1 left no artifact
    w.advance(1);
    await w.send(w.gh.rerunRun(REPO, runId, "olivia"));
    expect(await reasonOf(w, runId, 2)).toBe("rerun_of_allowed"); // refused, left running
    upload(w, runId, result({ run_attempt: 2 }));
    const from = w.gh.requests.length;
    await complete(w, runId);
    expect(requestsSince(w, from).filter((r) => r.includes("/actions/"))).toEqual([
      `GET /actions/runs/${runId}/artifacts`,
      `GET /actions/runs/${runId}/attempts/2`,
    ]);
    // The refused attempt's own artifact is evidence that something ran without permission.
    expect(await evidenceRow(w, runId, 2)).toMatchObject({
      errorCode: "run_not_allowed",
      laneState: "stale",
    });
    expect(await evidenceRow(w, runId, 1)).toMatchObject({ status: "awaiting_artifact" });
    expect(w.problems).toEqual([]);
  });
});

describe("placing listed artifacts (pure)", () => {
  const listed = (
    id: number,
    created_at: string | null,
    over: Partial<ListedArtifact> = {},
  ): ListedArtifact => ({
    id,
    name: "lanegate-result",
    size_in_bytes: 100,
    expired: false,
    created_at,
    workflow_run: { id: 9, head_sha: "abc" },
    ...over,
  });
  const span = (attempt: number, startedAt: string | null, completedAt: string) => ({
    runId: 9,
    attempt,
    headSha: "abc",
    startedAt,
    completedAt,
  });
  const one = listed(1, "2026-11-23T10:00:10Z");
  const two = listed(2, "2026-11-23T10:05:10Z");

  it("gives each attempt the artifact created while it ran", () => {
    expect(chooseAttemptArtifact([one, two], span(1, null, "2026-11-23T10:01:00Z"))).toEqual({
      kind: "chosen",
      id: 1,
    });
    expect(
      chooseAttemptArtifact([one, two], span(2, "2026-11-23T10:05:00Z", "2026-11-23T10:06:00Z")),
    ).toEqual({
      kind: "chosen",
      id: 2,
    });
    expect(chooseAttemptArtifact([one], span(2, "2026-11-23T10:05:00Z", "2026-11-23T10:06:00Z"))).toEqual({
      kind: "absent",
    });
  });

  it("places nothing it cannot: no creation time, another run, another name, or an unknown start", () => {
    const s1 = span(1, null, "2026-11-23T10:01:00Z");
    expect(chooseAttemptArtifact([listed(3, null)], s1).kind).toBe("absent");
    expect(chooseAttemptArtifact([{ ...one, workflow_run: { id: 8 } }], s1).kind).toBe("absent");
    expect(chooseAttemptArtifact([{ ...one, name: "logs" }], s1).kind).toBe("absent");
    expect(chooseAttemptArtifact([two], span(2, null, "2026-11-23T10:06:00Z")).kind).toBe("absent");
  });

  it("an attempt's expired or oversized artifact is refused, not taken from another attempt", () => {
    const s2 = span(2, "2026-11-23T10:05:00Z", "2026-11-23T10:06:00Z");
    expect(chooseAttemptArtifact([one, { ...two, expired: true }], s2)).toMatchObject({
      kind: "refused",
      error: { code: "artifact_expired" },
    });
    expect(chooseAttemptArtifact([one, { ...two, size_in_bytes: 2 ** 21 }], s2)).toMatchObject({
      kind: "refused",
      error: { code: "artifact_too_large" },
    });
  });
});
