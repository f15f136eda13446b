// What a gated run asks for: the dispatch inputs, validated. Pure.
import { z } from "zod";
import { FOUR_INPUTS } from "../config/schema.ts";
import { parseLaneId, type RebuildSource, rebuildSourceSchema } from "../domain.ts";
import type { ReasonCode } from "./reasons.ts";

/** The contract's four inputs; others only when the config declares them (`gate.inputs`). */
const inputsSchema = z.object({
  context: z.string(),
  instance: z.string(),
  source: z.string().optional(),
  confirmation: z.string(),
});

export interface GateRequest {
  lane: string;
  source: RebuildSource;
  confirmation: string;
  /** Declared inputs besides the four, as dispatched: recorded with the operation. */
  extra: Record<string, string>;
}

export interface RequestProblem {
  code: Extract<ReasonCode, "bad_inputs" | "undeclared_input" | "bad_lane" | "bad_source">;
  message: string;
}

export type ParsedRequest = { ok: true; request: GateRequest } | { ok: false; problems: RequestProblem[] };

export function parseRequest(
  inputs: Record<string, unknown>,
  declared: readonly string[] = [],
): ParsedRequest {
  const problems: RequestProblem[] = [];
  const extraNames = Object.keys(inputs).filter((k) => !FOUR_INPUTS.includes(k));
  const undeclared = extraNames.filter((k) => !declared.includes(k));
  if (undeclared.length > 0) {
    const s = undeclared.length > 1 ? "s" : "";
    const hint = "declare it under gate.inputs in .github/lanegate.yml";
    problems.push({
      code: "undeclared_input",
      message: `unexpected input${s} ${undeclared.join(", ")} (${hint})`,
    });
  }
  const extra: Record<string, string> = {};
  for (const name of extraNames.filter((k) => declared.includes(k))) extra[name] = String(inputs[name] ?? "");
  const parsed = inputsSchema.safeParse(inputs);
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      problems.push({ code: "bad_inputs", message: `input ${i.path.join(".")}: ${i.message}` });
    return { ok: false, problems };
  }
  const { context, instance, source = "empty", confirmation } = parsed.data;
  const lane = parseLaneId(`${context.trim()}/${instance.trim()}`);
  const sourceParsed = rebuildSourceSchema.safeParse(source.trim() || "empty");
  if (!lane)
    problems.push({
      code: "bad_lane",
      message: `"${context}/${instance}" is not a lane id (each part: lowercase letters, digits and -)`,
    });
  if (!sourceParsed.success)
    problems.push({
      code: "bad_source",
      message: `source "${source}" is not one of empty, upstream_restore, backup_restore`,
    });
  if (!lane || !sourceParsed.success || problems.length > 0) return { ok: false, problems };
  return { ok: true, request: { lane: lane.id, source: sourceParsed.data, confirmation, extra } };
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
