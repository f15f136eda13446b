// A workflow file as the rules see it: triggers, inputs, jobs with their `needs`, `if`,
// environment and steps, each with its place in the file. Read from the YAML document's nodes;
// what GitHub itself would refuse to run is a `syntax` finding. Pure.
import { isMap, isPair, isScalar, isSeq, type Node, type Pair, type YAMLMap } from "yaml";
import { type Finding, finding } from "./rules.ts";
import { type Position, positionOf, type YamlSource } from "./source.ts";

export interface Located<T> extends Position {
  value: T;
}

export interface WorkflowInput {
  name: string;
  type: string | null;
  options: string[];
  at: Position;
}

export interface WorkflowStep {
  uses: Located<string> | null;
  with: Record<string, string>;
}

export interface WorkflowJob {
  id: string;
  at: Position;
  needs: string[];
  if: string | null;
  environment: Located<string> | null;
  /** `uses:` of a job that calls a reusable workflow. */
  uses: Located<string> | null;
  steps: WorkflowStep[];
}

export interface Workflow {
  path: string;
  /** The file name, as the config names workflows. */
  file: string;
  on: Position;
  triggers: Located<string>[];
  /** Inputs of `workflow_dispatch` and `workflow_call`. */
  inputs: WorkflowInput[];
  jobsAt: Position;
  jobs: WorkflowJob[];
}

type Read = { workflow: Workflow; findings: Finding[] } | { workflow: null; findings: Finding[] };

/** `.github/workflows/<file>`: GitHub runs no workflow from a deeper folder. */
export function isWorkflowPath(path: string): boolean {
  const rest = path.startsWith(".github/workflows/") ? path.slice(".github/workflows/".length) : null;
  return rest !== null && !rest.includes("/") && /\.ya?ml$/i.test(rest);
}

export const fileOf = (path: string) => path.split("/").pop() ?? path;

export function readWorkflow(source: YamlSource): Read {
  const { path } = source;
  const problem = (at: Position, message: string) => finding("syntax", path, at, message);
  if (source.errors.length > 0)
    return { workflow: null, findings: source.errors.map((e) => problem(e, `not valid YAML: ${e.message}`)) };
  const root = source.doc.contents;
  const start = { line: 1, column: 1 };
  if (!isMap(root))
    return { workflow: null, findings: [problem(start, "a workflow must be a YAML mapping")] };
  const at = (node: unknown, fallback: Position = start) => positionOf(source, node) ?? fallback;
  const findings: Finding[] = [];
  const onPair = pairOf(root, "on");
  const jobsPair = pairOf(root, "jobs");
  if (!onPair) findings.push(problem(start, "a workflow needs `on:` (what triggers it)"));
  if (!jobsPair || !isMap(jobsPair.value))
    findings.push(problem(at(jobsPair?.key), "a workflow needs `jobs:`, a mapping of job ids to jobs"));
  if (!onPair || !jobsPair || !isMap(jobsPair.value)) return { workflow: null, findings };

  const triggers = triggersOf(onPair.value, (n) => at(n, at(onPair.key)));
  const jobs: WorkflowJob[] = [];
  for (const pair of jobsPair.value.items) {
    const id = isScalar(pair.key) ? String(pair.key.value) : "";
    if (!isMap(pair.value)) {
      findings.push(problem(at(pair.key), `job ${id} must be a mapping`));
      continue;
    }
    jobs.push(readJob(id, pair, pair.value, at));
  }
  const ids = new Set(jobs.map((j) => j.id));
  for (const job of jobs)
    for (const need of job.needs)
      if (!ids.has(need))
        findings.push(problem(job.at, `job ${job.id} needs ${need}, which is not a job here`));
  const workflow: Workflow = {
    path,
    file: fileOf(path),
    on: at(onPair.key),
    triggers,
    inputs: inputsOf(onPair.value, at),
    jobsAt: at(jobsPair.key),
    jobs,
  };
  return { workflow, findings };
}

function pairOf(map: YAMLMap, key: string): Pair<unknown, unknown> | undefined {
  return map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
}

const text = (node: unknown): string | null =>
  isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : null;

function located(node: unknown, at: (n: unknown) => Position): Located<string> | null {
  const value = text(node);
  return value === null ? null : { value, ...at(node) };
}

/** `on: push`, `on: [push, pull_request]` or `on: { push: ..., schedule: ... }`. */
function triggersOf(node: unknown, at: (n: unknown) => Position): Located<string>[] {
  if (isMap(node)) return node.items.flatMap((p) => located(p.key, at) ?? []);
  if (isSeq(node)) return node.items.flatMap((item) => located(item, at) ?? []);
  return located(node, at) ? [located(node, at) as Located<string>] : [];
}

function inputsOf(on: unknown, at: (n: unknown) => Position): WorkflowInput[] {
  if (!isMap(on)) return [];
  const inputs: WorkflowInput[] = [];
  for (const trigger of ["workflow_dispatch", "workflow_call"]) {
    const spec = pairOf(on, trigger)?.value;
    const declared = isMap(spec) ? pairOf(spec, "inputs")?.value : null;
    if (!isMap(declared)) continue;
    for (const pair of declared.items) {
      const name = text(pair.key);
      if (name === null) continue;
      const body = isMap(pair.value) ? pair.value : null;
      const options = body ? pairOf(body, "options")?.value : null;
      inputs.push({
        name,
        type: body ? text(pairOf(body, "type")?.value) : null,
        options: isSeq(options) ? options.items.flatMap((o) => text(o) ?? []) : [],
        at: at(pair.key),
      });
    }
  }
  return inputs;
}

function readJob(id: string, pair: Pair, body: YAMLMap, at: (n: unknown) => Position): WorkflowJob {
  const needsNode = pairOf(body, "needs")?.value;
  const needs = isSeq(needsNode) ? needsNode.items.flatMap((n) => text(n) ?? []) : [text(needsNode)];
  const environmentNode = pairOf(body, "environment")?.value;
  const environment = isMap(environmentNode)
    ? located(pairOf(environmentNode, "name")?.value, at)
    : located(environmentNode, at);
  const stepsNode = pairOf(body, "steps")?.value;
  const steps = isSeq(stepsNode) ? stepsNode.items.flatMap((s) => (isMap(s) ? [readStep(s, at)] : [])) : [];
  return {
    id,
    at: at(pair.key),
    needs: needs.filter((n): n is string => n !== null),
    if: text(pairOf(body, "if")?.value),
    environment,
    uses: located(pairOf(body, "uses")?.value, at),
    steps,
  };
}

function readStep(step: YAMLMap, at: (n: unknown) => Position): WorkflowStep {
  const withNode = pairOf(step, "with")?.value;
  const values: Record<string, string> = {};
  if (isMap(withNode))
    for (const p of withNode.items) {
      const key = text(p.key);
      const value = text(p.value as Node);
      if (key !== null && value !== null) values[key] = value;
    }
  return { uses: located(pairOf(step, "uses")?.value, at), with: values };
}
