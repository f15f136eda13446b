// Lanes in workflows: the lane inputs, environments that name a lane, and the rule
// `dynamic-lane-environment`. Expressions are read from values the YAML parser gave. Pure.
import { baselineOf, type LanegateConfig } from "../config/schema.ts";
import { parseLaneId } from "../domain.ts";
import { type Finding, finding } from "./rules.ts";
import type { Workflow, WorkflowJob } from "./workflow.ts";

const LANE_INPUTS = ["context", "instance"] as const;

/** The workflow takes a lane: both lane inputs, from a dispatch or a call. */
export const takesLane = (w: Workflow) => LANE_INPUTS.every((name) => w.inputs.some((i) => i.name === name));

type Part = { expression: false; text: string } | { expression: true; text: string };

function templateParts(value: string): Part[] {
  const parts: Part[] = [];
  let rest = value;
  for (let open = rest.indexOf("${{"); open >= 0; open = rest.indexOf("${{")) {
    const close = rest.indexOf("}}", open);
    if (close < 0) break;
    if (open > 0) parts.push({ expression: false, text: rest.slice(0, open) });
    parts.push({ expression: true, text: rest.slice(open + 3, close).trim() });
    rest = rest.slice(close + 2);
  }
  if (rest) parts.push({ expression: false, text: rest });
  return parts;
}

/** `inputs.x` or `github.event.inputs.x` standing alone: the input's name. */
function inputNamed(expression: string): string | null {
  const match = /^(?:github\.event\.)?inputs\.([A-Za-z_][\w-]*)$/.exec(expression);
  return match?.[1] ?? null;
}

const laneEnvironmentName = (name: string, config: LanegateConfig) =>
  name in config.gate.environments || parseLaneId(name) !== null;

/** The job's environment names a lane: by name, or through the lane inputs. */
export function laneEnvironment(job: WorkflowJob, config: LanegateConfig): boolean {
  const env = job.environment;
  if (!env) return false;
  const parts = templateParts(env.value);
  if (parts.every((p) => !p.expression)) return laneEnvironmentName(env.value, config);
  return parts.some((p) => p.expression && LANE_INPUTS.some((n) => n === inputNamed(p.text)));
}

const MAX_COMBINATIONS = 256;

export function dynamicEnvironments(w: Workflow, config: LanegateConfig, gated: boolean): Finding[] {
  const findings: Finding[] = [];
  for (const job of w.jobs) {
    const env = job.environment;
    if (!env || limitedToKnownLanes(env.value, w, config, gated)) continue;
    findings.push(
      finding(
        "dynamic-lane-environment",
        w.path,
        env,
        `job ${job.id} takes its environment from ${env.value}, which can name an environment that is no known lane`,
      ),
    );
  }
  return findings;
}

function limitedToKnownLanes(value: string, w: Workflow, config: LanegateConfig, gated: boolean): boolean {
  const parts = templateParts(value);
  if (parts.every((p) => !p.expression)) return true;
  // Exactly the lane the gate decides for: an unknown lane is refused, and the protection rule
  // approves this environment only for the lane the run was allowed on.
  const lanePart = (p: Part | undefined, name: string) =>
    p?.expression === true && inputNamed(p.text) === name;
  if (
    gated &&
    parts.length === 3 &&
    lanePart(parts[0], "context") &&
    parts[1]?.text === "/" &&
    lanePart(parts[2], "instance")
  )
    return true;
  // Otherwise only choice inputs, every combination of which is a known lane's environment.
  const choices: string[][] = [];
  for (const p of parts) {
    if (!p.expression) choices.push([p.text]);
    else {
      const input = w.inputs.find((i) => i.name === inputNamed(p.text));
      if (input?.type !== "choice" || input.options.length === 0) return false;
      choices.push(input.options);
    }
  }
  const count = choices.reduce((n, c) => n * c.length, 1);
  if (count > MAX_COMBINATIONS) return false;
  const declared = baselineOf(config);
  const knownLane = (name: string) => {
    const id = parseLaneId(name);
    return name in config.gate.environments || (id !== null && id.id in declared);
  };
  return combinations(choices).every(knownLane);
}

function combinations(choices: string[][]): string[] {
  return choices.reduce<string[]>((acc, options) => acc.flatMap((a) => options.map((o) => a + o)), [""]);
}
