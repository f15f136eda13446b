// The domain's vocabulary, shared by every module. Zod schemas live next to the shapes they
// validate; the types here are the plain data the pure cores pass around.
import { z } from "zod";

/** One part of a lane id: `cm`, `testing`, `prod`. */
export const LANE_PART = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const DATA_AUTHORITIES = ["unknown", "resettable", "restorable", "authoritative"] as const;
export type DataAuthority = (typeof DATA_AUTHORITIES)[number];
export const dataAuthoritySchema = z.enum(DATA_AUTHORITIES);

export const REBUILD_SOURCES = ["empty", "upstream_restore", "backup_restore"] as const;
export type RebuildSource = (typeof REBUILD_SOURCES)[number];
export const rebuildSourceSchema = z.enum(REBUILD_SOURCES);

/** Which rebuild sources each data authority may ever allow. */
export const SOURCES_FOR_AUTHORITY: Record<DataAuthority, readonly RebuildSource[]> = {
  unknown: [],
  resettable: ["empty"],
  restorable: ["upstream_restore"],
  authoritative: ["backup_restore"],
};

/** Ordering used for "an issue cannot weaken the baseline": higher is stronger. */
export const AUTHORITY_STRENGTH: Record<DataAuthority, number> = {
  unknown: 0,
  resettable: 1,
  restorable: 2,
  authoritative: 3,
};

export const LANE_STATES = [
  "unknown",
  "pending",
  "active",
  "suspended",
  "retired",
  "expired",
  "invalid",
  "conflict",
] as const;
export type LaneState = (typeof LANE_STATES)[number];

/** Parses `cm/testing` (after trimming and lowercasing) into its parts, or null. */
export function parseLaneId(raw: string): { context: string; instance: string; id: string } | null {
  const id = raw.trim().toLowerCase();
  const parts = id.split("/");
  if (parts.length !== 2) return null;
  const [context, instance] = parts as [string, string];
  if (!LANE_PART.test(context) || !LANE_PART.test(instance)) return null;
  return { context, instance, id: `${context}/${instance}` };
}

/** The contract's default confirmation phrase for a lane and source. */
export function defaultConfirmation(laneId: string, source: RebuildSource): string {
  const [context, instance] = laneId.split("/");
  const verb = source === "empty" ? "bootstrap" : "restore";
  return `${verb} ${context} ${instance}`;
}

/** Phrases are compared after trimming, lowercasing and collapsing inner whitespace. */
export function normalizePhrase(phrase: string): string {
  return phrase.trim().toLowerCase().replace(/\s+/g, " ");
}

/** Lane flags; for authoritative lanes the first two are forced on. */
export interface LaneFlags {
  requires_backup_before_destroy: boolean;
  requires_restore_proof: boolean;
  requires_runtime_identity: boolean;
}

/** One lane as an approval issue's block asks for it. */
export interface LanePolicy extends LaneFlags {
  lane: string;
  data_authority: DataAuthority;
  allowed_rebuild_sources: RebuildSource[];
  upstream_source: string | null;
  /** Explicit phrase from the block, or null for the default per source. */
  confirmation: string | null;
  /** Distinct approvers the block asks for (`approvers.required`); the config may ask for more. */
  approvals_required: number;
}

/** A lane policy as stored with a grant or a decision: read back through this schema. */
export const lanePolicySchema: z.ZodType<LanePolicy> = z.object({
  lane: z.string(),
  data_authority: dataAuthoritySchema,
  allowed_rebuild_sources: z.array(rebuildSourceSchema),
  upstream_source: z.string().nullable(),
  confirmation: z.string().nullable(),
  requires_backup_before_destroy: z.boolean(),
  requires_restore_proof: z.boolean(),
  requires_runtime_identity: z.boolean(),
  // Policies stored before the two-person rule asked for one approver.
  approvals_required: z.number().int().min(1).default(1),
});

/** A problem with the block or one lane of it, pointing at the issue body. */
export interface PolicyError {
  /** Field path such as `lanes.cm/prod.allowed_rebuild_sources[0]`, or `` for the block. */
  path: string;
  /** 1-based line in the issue body, when known. */
  line: number | null;
  message: string;
}

/** A lane declared in `.github/lanegate.yml`: the baseline no issue can weaken. */
export interface DeclaredLane extends Partial<LaneFlags> {
  data_authority: DataAuthority;
  /** Distinct approvers the config asks for on this lane. */
  approvers?: { required: number };
}
export type Baseline = Record<string, DeclaredLane>;
