// Whose evidence a finished run is, decided before anything is read: the gate's verdict on the
// run comes first, whatever the config's lists say now, and a deploy workflow is believed only
// for its reviewed file (the default branch) run by a push or by hand.
import type { LanegateConfig } from "../config/schema.ts";

/** Runs of a listed deploy workflow that may report a deployment. */
export const DEPLOYMENT_EVENTS = ["push", "workflow_dispatch"] as const;

export interface FinishedRun {
  /** The workflow file name (`deploy.yml`). */
  file: string;
  headBranch: string | null;
  event: string;
  /** The operation lanegate opened for this attempt: it allowed the run. */
  operation: { id: number; lane: string } | null;
  /** The gate knows the run as a gated one (a decision, or the role it was first seen with). */
  gateKnowsRun: boolean;
  /** The lane of the attempt's newest gate decision, if any. */
  decidedLane: string | null;
}

export type EvidenceSubject =
  | { kind: "bootstrap"; operationId: number | null; lane: string | null }
  | { kind: "deployment"; operationId: null; lane: null };

export type Whose =
  | { subject: EvidenceSubject }
  /** Not lanegate's to read: an unlisted workflow (null), or a deploy run it does not trust (why). */
  | { subject: null; untrusted: string | null };

export function evidenceSubject(
  run: FinishedRun,
  config: LanegateConfig,
  defaultBranch: string | null,
): Whose {
  if (run.operation)
    return { subject: { kind: "bootstrap", operationId: run.operation.id, lane: run.operation.lane } };
  // Refused (or never decided): its artifact is never believed, but that it exists is news.
  if (run.gateKnowsRun || config.gate.workflows.includes(run.file))
    return { subject: { kind: "bootstrap", operationId: null, lane: run.decidedLane } };
  if (!config.evidence.deploy_workflows.includes(run.file)) return { subject: null, untrusted: null };
  const event = DEPLOYMENT_EVENTS.find((e) => e === run.event);
  if (defaultBranch && run.headBranch === defaultBranch && event)
    return { subject: { kind: "deployment", operationId: null, lane: null } };
  return {
    subject: null,
    untrusted: `${run.file} ran on ${run.headBranch ?? "no branch"} by ${run.event}; only runs on the default branch (${defaultBranch ?? "not known"}) by ${DEPLOYMENT_EVENTS.join(" or ")} report deployments`,
  };
}
