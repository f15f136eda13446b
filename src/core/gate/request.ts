// What a gated run asks for: the dispatch inputs, validated. Pure.
import { z } from "zod";
import { parseLaneId, type RebuildSource, rebuildSourceSchema } from "../domain.ts";

/** Exactly the contract's four inputs; anything missing or extra is a refusal, not a guess. */
const inputsSchema = z.strictObject({
  context: z.string(),
  instance: z.string(),
  source: z.string().optional(),
  confirmation: z.string(),
});

export interface GateRequest {
  lane: string;
  source: RebuildSource;
  confirmation: string;
}

export type ParsedRequest = { ok: true; request: GateRequest } | { ok: false; problems: string[] };

export function parseRequest(inputs: Record<string, unknown>): ParsedRequest {
  const parsed = inputsSchema.safeParse(inputs);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === "unrecognized_keys"
        ? `unexpected input${i.keys.length > 1 ? "s" : ""} ${i.keys.join(", ")}`
        : `input ${i.path.join(".")}: ${i.message}`,
    );
    return { ok: false, problems };
  }
  const { context, instance, source = "empty", confirmation } = parsed.data;
  const lane = parseLaneId(`${context.trim()}/${instance.trim()}`);
  const sourceParsed = rebuildSourceSchema.safeParse(source.trim() || "empty");
  const problems = [
    ...(lane
      ? []
      : [`"${context}/${instance}" is not a lane id (each part: lowercase letters, digits and -)`]),
    ...(sourceParsed.success
      ? []
      : [`source "${source}" is not one of empty, upstream_restore, backup_restore`]),
  ];
  if (!lane || !sourceParsed.success) return { ok: false, problems };
  return { ok: true, request: { lane: lane.id, source: sourceParsed.data, confirmation } };
}

/** The lane a dispatch's inputs name, whatever else is wrong with them; null when they name none. */
export function laneOfInputs(inputs: Record<string, unknown>): string | null {
  const part = (v: unknown) => (typeof v === "string" ? v.trim() : "");
  return parseLaneId(`${part(inputs.context)}/${part(inputs.instance)}`)?.id ?? null;
}

/** `.github/workflows/x.yml@refs/heads/main` and `x.yml` both name the workflow file `x.yml`. */
export function workflowFile(path: string): string {
  const withoutRef = path.split("@")[0] ?? path;
  return withoutRef.split("/").at(-1) ?? withoutRef;
}

/** `refs/heads/main` and `main` both name the branch `main`. */
export function branchOf(ref: string): string {
  return ref.replace(/^refs\/heads\//, "");
}
