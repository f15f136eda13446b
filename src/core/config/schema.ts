// `.github/lanegate.yml`: the reviewed baseline. One zod schema; every default from the contract.
import { z } from "zod";
import { type Baseline, DATA_AUTHORITIES, parseLaneId } from "../domain.ts";

/** The phases of a gated run that `evidence.jobs` maps job names to. */
export const PHASES = ["target_proof", "bootstrap", "post_deploy", "verification"] as const;
export type Phase = (typeof PHASES)[number];

/** The inputs every gated workflow has; `gate.inputs` declares any others. */
export const FOUR_INPUTS = ["context", "instance", "source", "confirmation"];

/** How many distinct approvers a grant needs. */
const approvalCount = z.number().int().min(1).max(10);

const declaredLane = z.strictObject({
  data_authority: z.enum(DATA_AUTHORITIES),
  requires_backup_before_destroy: z.boolean().optional(),
  requires_restore_proof: z.boolean().optional(),
  requires_runtime_identity: z.boolean().optional(),
  approvers: z.strictObject({ required: approvalCount }).optional(),
});

const workflowFile = z
  .string()
  .regex(/^[\w.-]+\.ya?ml$/, "must be a workflow file name under .github/workflows/, like deploy.yml");

const proof = z.strictObject({
  workflow: workflowFile,
  max_age_hours: z.number().positive(),
});

export const configSchema = z
  .strictObject({
    label: z.string().trim().min(1).max(50).default("lane-policy"),
    approvers: z
      .strictObject({
        min_permission: z.enum(["write", "maintain", "admin"]).default("maintain"),
        teams: z.array(z.string().regex(/^[\w.-]+$/, "must be a team slug")).default([]),
        allow_self_approval: z.boolean().default(false),
        /** Distinct approvers every grant needs; per data authority and per lane it may be more. */
        required: approvalCount.default(1),
        required_by_authority: z.partialRecord(z.enum(DATA_AUTHORITIES), approvalCount).default({}),
        /** Whoever wrote or last edited the block never counts towards more than one approval. */
        exclude_author: z.boolean().default(true),
      })
      .prefault({}),
    lanes: z
      .record(z.string(), declaredLane)
      .default({})
      .superRefine((lanes, ctx) => {
        for (const key of Object.keys(lanes)) {
          if (!parseLaneId(key)) ctx.addIssue({ code: "custom", path: [key], message: "is not a lane id" });
        }
      }),
    gate: z
      .strictObject({
        workflows: z.array(workflowFile).default([]),
        branches: z.array(z.string().min(1)).optional(),
        cancel_refused_runs: z.boolean().default(true),
        environments: z.record(z.string(), z.string()).default({}),
        /** Dispatch inputs allowed besides the four; recorded with the operation. */
        inputs: z
          .array(z.string().regex(/^[A-Za-z_][\w-]*$/, "must be a workflow input name"))
          .default([])
          .refine((names) => !names.some((n) => FOUR_INPUTS.includes(n)), {
            message: "must not repeat context, instance, source or confirmation",
          }),
        /** How long an allowed run may stay in flight without reporting back before it needs reconciliation. */
        lease_minutes: z
          .number()
          .int()
          .positive()
          .max(7 * 24 * 60)
          .default(360),
      })
      .prefault({}),
    proofs: z
      .strictObject({
        backup: proof.optional(),
        restore: proof.optional(),
      })
      .default({}),
    evidence: z
      .strictObject({
        /** Job name -> phase of a gated run. */
        jobs: z.record(z.string(), z.enum(PHASES)).default({}),
        /** Workflows whose runs report deployments through the result artifact. */
        deploy_workflows: z.array(workflowFile).default([]),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    // A proof workflow is never gated: a file that is both would be one or the other by accident.
    const proofs = [config.proofs.backup?.workflow, config.proofs.restore?.workflow];
    for (const [i, file] of config.gate.workflows.entries()) {
      if (proofs.includes(file))
        ctx.addIssue({ code: "custom", path: ["gate", "workflows", i], message: "is also a proof workflow" });
    }
    // A gated run's artifact is believed only when the gate allowed the run; a deploy workflow's is
    // believed without a gate decision. A file that is both would let a refused run report a deployment.
    for (const [i, file] of config.evidence.deploy_workflows.entries()) {
      if (config.gate.workflows.includes(file))
        ctx.addIssue({
          code: "custom",
          path: ["evidence", "deploy_workflows", i],
          message: "is also a gated workflow",
        });
    }
  });

export type LanegateConfig = z.infer<typeof configSchema>;

/** The defaults: what a repository without a config (or with an invalid one) runs under. */
export const DEFAULT_CONFIG: LanegateConfig = configSchema.parse({});

/** The declared lanes keyed by their normalised id. */
export function baselineOf(config: LanegateConfig): Baseline {
  const baseline: Baseline = {};
  for (const [key, lane] of Object.entries(config.lanes)) {
    const id = parseLaneId(key);
    if (id) baseline[id.id] = lane;
  }
  return baseline;
}
