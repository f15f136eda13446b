// The shape of an approval issue's `lane-policy` block, and operator-readable wording for the
// ways it can be wrong. Lane ids (the keys of `lanes`) are checked by the block reader, which
// has to normalise them first.
import { z } from "zod";
import { rebuildSourceSchema, SOURCES_FOR_AUTHORITY } from "../domain.ts";

/** `unknown` is the absence of knowledge, so no issue can grant it. */
const GRANTABLE_AUTHORITIES = ["resettable", "restorable", "authoritative"] as const;

const sourcesSchema = z
  .array(rebuildSourceSchema)
  .min(1, "must list at least one source")
  .superRefine((sources, ctx) => {
    sources.forEach((source, i) => {
      if (sources.indexOf(source) !== i) {
        ctx.addIssue({ code: "custom", path: [i], message: `"${source}" is listed twice` });
      }
    });
  });

export const lanePolicyInputSchema = z
  .strictObject({
    data_authority: z.enum(GRANTABLE_AUTHORITIES),
    allowed_rebuild_sources: sourcesSchema,
    upstream_source: z
      .string()
      .max(200, "must be at most 200 characters")
      .regex(/^[^\s\p{C}\p{Z}]+$/u, "must be non-empty printable text without whitespace")
      .optional(),
    confirmation: z
      .string()
      .max(200, "must be at most 200 characters")
      .refine((phrase) => phrase.trim() !== "", "must not be blank")
      .optional(),
    requires_backup_before_destroy: z.boolean().optional(),
    requires_restore_proof: z.boolean().optional(),
    requires_runtime_identity: z.boolean().optional(),
    /** More approvers than the config asks for; never fewer (the larger count applies). */
    approvers: z.strictObject({ required: z.number().int().min(1).max(10) }).optional(),
  })
  .superRefine((lane, ctx) => {
    const allowed = SOURCES_FOR_AUTHORITY[lane.data_authority];
    lane.allowed_rebuild_sources.forEach((source, i) => {
      const path = ["allowed_rebuild_sources", i];
      if (!allowed.includes(source)) {
        const message = `"${source}" is not allowed when data_authority is ${lane.data_authority} (allowed: ${allowed.join(", ")})`;
        ctx.addIssue({ code: "custom", path, message });
      } else if (source === "upstream_restore" && lane.upstream_source === undefined) {
        ctx.addIssue({ code: "custom", path, message: `"upstream_restore" needs upstream_source` });
      }
    });
  });

export const policyBlockSchema = z.strictObject({
  lanes: z
    .record(z.string(), lanePolicyInputSchema)
    .refine((lanes) => Object.keys(lanes).length > 0, "must declare at least one lane"),
  expires_at: z.iso
    .datetime({
      offset: true,
      error: "must be an ISO-8601 timestamp with a timezone, e.g. 2027-03-31T00:00:00Z",
    })
    .optional(),
  retire_when: z.string().max(500, "must be at most 500 characters").optional(),
});

export type LanePolicyInput = z.infer<typeof lanePolicyInputSchema>;
export type PolicyBlockInput = z.infer<typeof policyBlockSchema>;

/** A path into the block's data: mapping keys as typed, list indexes as numbers. */
export type DataPath = (string | number)[];
export interface Problem {
  path: DataPath;
  message: string;
}

const NOUNS: Record<string, string> = {
  object: "a mapping",
  record: "a mapping",
  array: "a list",
  string: "a string",
  boolean: "true or false",
};

export function parsePolicyBlock(
  data: unknown,
): { ok: true; block: PolicyBlockInput } | { ok: false; problems: Problem[] } {
  // The input is reported so a missing key ("is required") can be told from a wrong one.
  const result = policyBlockSchema.safeParse(data, { reportInput: true });
  return result.success ? { ok: true, block: result.data } : { ok: false, problems: describe(result.error) };
}

/** Zod's issues in the operator's words, one problem per offending key or value. */
function describe(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    const path = issue.path.map((key) => (typeof key === "number" ? key : String(key)));
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown key "${key}"` }));
    }
    if ((issue.code === "invalid_type" || issue.code === "invalid_value") && issue.input === undefined) {
      return [{ path, message: "is required" }];
    }
    if (issue.code === "invalid_type") {
      return [
        { path, message: `must be ${NOUNS[issue.expected] ?? issue.expected}, not ${kindOf(issue.input)}` },
      ];
    }
    if (issue.code === "invalid_value") {
      return [{ path, message: `must be one of ${issue.values.map(String).join(", ")}` }];
    }
    return [{ path, message: issue.message }];
  });
}

function kindOf(value: unknown): string {
  if (value === null) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}
