// The evidence check run's text: the lane's state in the title, every phase and probe in the summary.
import type { EvidenceError, ResultArtifact } from "./artifact.ts";
import { believedIdentity } from "./identity.ts";
import type { Deployment, Inventory, InventoryStep } from "./inventory.ts";
import type { PhaseRecord } from "./phases.ts";

export const evidenceCheckName = (lane: string) => `lanegate evidence: ${lane}`;

export interface EvidenceReport {
  lane: string;
  step: Pick<InventoryStep, "row" | "outcome" | "reason">;
  /** The lane's inventory as it is now: what the run set, or what it kept. */
  inventory: Inventory;
  artifact: ResultArtifact | null;
  error: EvidenceError | null;
  phases: PhaseRecord[];
  runUrl: string | null;
}

/** The identity lanegate believed, and what the result said when that differs. */
function identityCell(a: ResultArtifact): string {
  const believed = believedIdentity(a.runtime_identity);
  return believed.overruled ? `${believed.status} (${believed.overruled})` : believed.status;
}

// Text from the artifact goes into Markdown: keep it from opening tags, links or mentions.
const plain = (s: string) => s.replace(/[<>[\]`|@\\]/g, " ").slice(0, 300);

export function renderEvidenceCheck(r: EvidenceReport) {
  const { outcome } = r.step;
  // Success only when the lane is ready: set so by this run, or kept so by a run that changed nothing.
  const ready = outcome === "ready" || (outcome === "unchanged" && r.inventory.state === "ready");
  const conclusion: "success" | "failure" = ready ? "success" : "failure";
  const title = `${r.lane} is ${outcome}: ${plain(r.step.reason)}`.slice(0, 250);
  const kept = outcome === "unchanged" ? `: the lane keeps \`${r.inventory.state}\`` : "";
  const lines = [`**Lane state:** \`${outcome}\` (table row \`${r.step.row}\`)${kept}`, ""];
  const d = r.inventory.current_deployment;
  lines.push(
    `**Current deployment:** ${d ? `\`${plain(d.artifact_id)}\` from run ${d.run_id}${d.verified ? "" : " (unverified)"}` : "none recorded"}`,
  );
  if (r.error) lines.push("", `**Evidence error** \`${r.error.code}\`: ${plain(r.error.message)}`);
  lines.push(
    "",
    "#### Phases",
    "",
    "| Phase | Job | Status | Conclusion | Started | Completed |",
    "|---|---|---|---|---|---|",
  );
  if (r.phases.length === 0) lines.push("| - | no mapped job reported | | | | |");
  for (const p of r.phases)
    lines.push(
      `| ${p.phase} | ${plain(p.job)} | ${p.status} | ${p.conclusion ?? "-"} | ${p.started_at ?? "-"} | ${p.completed_at ?? "-"} |`,
    );
  const a = r.artifact;
  if (a) {
    lines.push("", "#### Result", "", "| Check | Status |", "|---|---|");
    for (const [name, status] of [
      ["bootstrap run", a.bootstrap_run_status],
      ["post-deploy", a.post_deploy_status],
      ["health", a.health_status],
      ["canonical", a.canonical_status],
      ["logo", a.logo_status],
      ["readiness", a.readiness_status],
      ["runtime identity", identityCell(a)],
    ])
      lines.push(`| ${name} | ${status} |`);
    lines.push("", "#### Probes", "", "| Probe | Status | Code | URL | Detail |", "|---|---|---|---|---|");
    if (a.probes.length === 0) lines.push("| - | none reported | | | |");
    for (const p of a.probes)
      lines.push(
        `| ${plain(p.probe)} | ${p.status} | ${p.status_code ?? "-"} | ${plain(p.url ?? "-")} | ${plain(p.detail ?? "")} |`,
      );
  }
  if (r.runUrl) lines.push("", `[The run](${r.runUrl})`);
  return { conclusion, title, summary: lines.join("\n").slice(0, 65_000) };
}

/** The run an evidence record is about, as the audit log names it. */
interface EvidenceRun {
  kind: string;
  runId: number;
  attempt: number;
}

const runOf = (r: EvidenceRun) => `run ${r.runId} attempt ${r.attempt}`;

const describeDeployment = (d: Deployment | null) =>
  d ? `${d.artifact_id}${d.verified ? "" : " (unverified)"}` : "none";

/** The audit line of an evidence error. */
export const describeEvidenceError = (error: EvidenceError, run: EvidenceRun) =>
  `evidence error ${error.code} (${runOf(run)}): ${error.message}`;

/** The audit line of a lane's inventory move, with the run that caused it. */
export function describeInventoryMove(before: Inventory, step: InventoryStep, run: EvidenceRun): string {
  const moved = before.state !== step.state ? `${before.state} -> ${step.state}` : `stays ${step.state}`;
  const deployment =
    JSON.stringify(before.current_deployment) === JSON.stringify(step.current_deployment)
      ? ""
      : `; current deployment ${describeDeployment(before.current_deployment)} -> ${describeDeployment(step.current_deployment)}`;
  return `inventory ${moved} by ${run.kind} ${runOf(run)} (row ${step.row}: ${step.reason})${deployment}`;
}
