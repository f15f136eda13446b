// Helpers for evidence scenarios on the stand-in: an allowed run that uploads its result
// artifact and completes, and what lanegate made of it.
import { read, tables } from "../../src/adapters/store/db.ts";
import { oneLaneView, operationView } from "../../src/adapters/store/read.ts";
import type { ResultArtifact } from "../../src/core/evidence/artifact.ts";
import { evidenceSweep } from "../../src/pipelines/evidence/sweep.ts";
import { resultZip } from "../../standin/artifacts.ts";
import { approved, dispatch, inputs } from "./gate.ts";
import { REPO, type World } from "./world.ts";

/** An approved CM/OPW issue and an allowed cm/testing bootstrap, started. */
export async function allowedRun(w: World, lane = "cm/testing"): Promise<number> {
  if (w.gh.repo(REPO).issues.size === 0) await approved(w);
  const [context, instance] = lane.split("/");
  const runId = await dispatch(w, inputs(lane, "empty", `bootstrap ${context} ${instance}`));
  await w.send(w.gh.startRun(REPO, runId));
  return runId;
}

/** The run uploads `lanegate-result` made of the artifact, with its own run id unless told. */
export function upload(w: World, runId: number, a: ResultArtifact | Uint8Array) {
  const bytes =
    a instanceof Uint8Array ? a : resultZip({ ...a, run_id: a.run_id === 123 ? runId : a.run_id });
  return w.gh.uploadArtifact(REPO, runId, "lanegate-result", bytes);
}

export const complete = (w: World, runId: number, conclusion = "success") =>
  w.send(w.gh.completeRun(REPO, runId, conclusion));

export const inventory = async (w: World, lane = "cm/testing") =>
  (await read(w.db, (q) => oneLaneView(q, REPO, lane))).inventory;

export async function evidenceOfRun(w: World, runId: number) {
  const rows = await read(w.db, (q) => q.select().from(tables(q).operations));
  const op = rows.find((o) => o.runId === runId);
  return op ? read(w.db, (q) => operationView(q, REPO, op.id)) : null;
}

export const evidenceChecks = (w: World, lane = "cm/testing") =>
  [...w.gh.repo(REPO).checkRuns.values()].filter((c) => c.name === `lanegate evidence: ${lane}`);

/** Requests lanegate made of the stand-in, as `METHOD path` without the repository prefix. */
export const requestsSince = (w: World, from: number) =>
  w.gh.requests.slice(from).map((r) => `${r.method} ${r.path.replace(`/repos/${REPO}`, "")}`);

export const sweep = (w: World) => evidenceSweep(w.deps, w.probot);
