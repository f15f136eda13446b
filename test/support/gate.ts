// Helpers for gate scenarios on the stand-in: an approval issue, dispatches as an operator
// makes them, and the check runs the wait action would read.

import { read, tables } from "../../src/adapters/store/db.ts";
import { REASON_CODES, type ReasonCode } from "../../src/core/gate/reasons.ts";
import type { WorkflowInputs } from "../../standin/index.ts";
import { demoConfigWith } from "./config.ts";
import { CM_OPW_BODY, REPO, type World } from "./world.ts";

export const BOOTSTRAP = ".github/workflows/odoo-stable-bootstrap.yml";

/** The CM/OPW block plus syo/prod as an authoritative lane restored from backups. */
export const SYO_BODY = CM_OPW_BODY.replace(
  "expires_at:",
  "  syo/prod:\n    data_authority: authoritative\n    allowed_rebuild_sources: [backup_restore]\nexpires_at:",
);

/** olivia opens the issue, mia (maintain) applies the label. */
export async function approved(w: World, body = CM_OPW_BODY): Promise<number> {
  const o = w.gh.openIssue(REPO, { author: "olivia", title: "approval", body });
  await w.send(...o.deliveries, w.gh.addLabel(REPO, o.number, "lane-policy", "mia"));
  w.advance(1);
  return o.number;
}

export function inputs(lane: string, source: string, confirmation: string): WorkflowInputs {
  const [context = "", instance = ""] = lane.split("/");
  return { context, instance, source, confirmation };
}

/** A dispatch by olivia, not yet delivered. */
export function dispatchOf(w: World, i: WorkflowInputs, o: { workflowPath?: string; ref?: string } = {}) {
  return w.gh.dispatchWorkflow(REPO, {
    workflowPath: o.workflowPath ?? BOOTSTRAP,
    ref: o.ref,
    inputs: i,
    actor: "olivia",
  });
}

/** Dispatches and delivers the dispatch and the run, in that order unless asked otherwise. */
export async function dispatch(
  w: World,
  i: WorkflowInputs,
  o: { workflowPath?: string; order?: "run-first" } = {},
) {
  const d = dispatchOf(w, i, o);
  await w.send(...(o.order === "run-first" ? [d.requested, d.dispatch] : [d.dispatch, d.requested]));
  return d.runId;
}

/** The app's check runs for one attempt, oldest first. */
export function checksOf(w: World, runId: number, attempt = 1) {
  return [...w.gh.repo(REPO).checkRuns.values()]
    .filter((c) => c.externalId === `${runId}:${attempt}`)
    .sort((a, b) => a.id - b.id);
}

/** What the wait action reads: the newest of the app's check runs for the attempt. */
export const newest = (w: World, runId: number, attempt = 1) => checksOf(w, runId, attempt).at(-1);
export const runOf = (w: World, runId: number) => w.gh.repo(REPO).runs.get(runId);
export const ops = (w: World) => read(w.db, (q) => q.select().from(tables(q).operations));

/** The reason code of the newest decision for an attempt: the first failing check's code, or ok. */
export async function reasonOf(w: World, runId: number, attempt = 1): Promise<ReasonCode | undefined> {
  const rows = await read(w.db, (q) => q.select().from(tables(q).decisions));
  const reason = rows.filter((d) => d.runId === runId && d.attempt === attempt).at(-1)?.reason;
  if (reason === undefined || reason === null) return undefined;
  // The store keeps text: a code no longer in the closed set fails here, not as a quiet mismatch.
  if (!(REASON_CODES as readonly string[]).includes(reason)) throw new Error(`not a reason code: ${reason}`);
  return reason as ReasonCode;
}

/** The demo config with refused runs left running, so a later decision has something to allow. */
export const NO_CANCELS = demoConfigWith([["gate", "cancel_refused_runs"], false]);

/** A maintainer pushes a new config to the default branch; the push delivery refreshes the cache. */
export const pushConfig = (w: World, text: string) =>
  w.send(w.gh.pushFile(REPO, ".github/lanegate.yml", text, "max"));
