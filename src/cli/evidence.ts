// How the CLI prints evidence: a lane's inventory, and one operation with its phases and probes.
import type { inventoryView, operationEvidenceView } from "../adapters/store/evidence.ts";
import type { operationView } from "../adapters/store/read.ts";
import { table } from "./table.ts";

type InventoryView = Awaited<ReturnType<typeof inventoryView>>;

interface DeploymentLike {
  artifact_id?: string;
  source_git_ref?: string | null;
  run_id?: number;
  verified?: boolean;
}

function deployment(value: unknown): string {
  if (typeof value !== "object" || value === null) return "none recorded";
  const d = value as DeploymentLike;
  return `${d.artifact_id} (source ${d.source_git_ref ?? "?"}, run ${d.run_id})${d.verified ? "" : " UNVERIFIED"}`;
}

export function inventoryText(inv: InventoryView): string {
  const bootstrap = inv.last_bootstrap as { run_id?: number; row?: string; at?: string } | null;
  return [
    `inventory: ${inv.state} (${inv.reason})`,
    `current deployment: ${deployment(inv.current_deployment)}`,
    `last bootstrap: ${bootstrap ? `run ${bootstrap.run_id}, ${bootstrap.row} at ${bootstrap.at}` : "none"}`,
  ].join("\n");
}

export function operationText(op: NonNullable<Awaited<ReturnType<typeof operationView>>>): string {
  const ev: Awaited<ReturnType<typeof operationEvidenceView>>["evidence"] = op.evidence;
  const head = [
    `operation ${op.id} on ${op.lane}: ${op.state}, source ${op.source}, run ${op.run_id}#${op.run_attempt}, outcome ${op.outcome ?? "-"}`,
    ev
      ? `evidence: ${ev.status}${ev.lane_state ? `, lane ${ev.lane_state}` : ""}${ev.reason ? ` (${ev.reason})` : ""}`
      : "evidence: none yet (the run has not completed)",
  ];
  if (ev?.error) head.push(`evidence error ${ev.error.code}: ${ev.error.message}`);
  const phases = op.phases.length
    ? table(
        ["PHASE", "JOB", "STATUS", "CONCLUSION", "STARTED", "COMPLETED"],
        op.phases.map((p) => [
          p.phase,
          p.job,
          p.status,
          p.conclusion ?? "-",
          p.started_at ?? "-",
          p.completed_at ?? "-",
        ]),
      )
    : "no phases reported";
  const probes = ev?.artifact?.probes.length
    ? table(
        ["PROBE", "STATUS", "CODE", "URL", "DETAIL"],
        ev.artifact.probes.map((p) => [
          p.probe,
          p.status,
          String(p.status_code ?? "-"),
          p.url ?? "-",
          p.detail ?? "",
        ]),
      )
    : "no probes reported";
  return [...head, "", phases, "", probes].join("\n");
}
