// What a workflow is to the gate, decided once from the config when its first delivery arrives
// and stored with it: every later query filters on the stored role, never on a file name.
import type { LanegateConfig } from "../config/schema.ts";
import { workflowFile } from "./request.ts";

export const WORKFLOW_ROLES = ["gated", "backup_proof", "restore_proof"] as const;
export type WorkflowRole = (typeof WORKFLOW_ROLES)[number];

/** The workflow's role under a config, or null when the gate does not care about it. */
export function roleOf(config: LanegateConfig | null, path: string): WorkflowRole | null {
  if (!config) return null;
  const file = workflowFile(path);
  // Proof workflows are never gated (the config schema refuses a file that is both).
  if (config.proofs.backup?.workflow === file) return "backup_proof";
  if (config.proofs.restore?.workflow === file) return "restore_proof";
  return config.gate.workflows.includes(file) ? "gated" : null;
}
