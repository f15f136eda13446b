// The workflow rules, over workflows read with their positions and the config they run under.
// docs/operations.md ("Contract checks on pull requests") says what each rule means. Pure.
import type { LanegateConfig } from "../config/schema.ts";
import { ARTIFACT_NAME } from "../evidence/artifact.ts";
import { dynamicEnvironments, laneEnvironment, takesLane } from "./environments.ts";
import { type Finding, finding } from "./rules.ts";
import { locate, type YamlSource } from "./source.ts";
import { readWorkflow, type Workflow } from "./workflow.ts";

export interface WorkflowCheckInput {
  /** The config the workflows would run under. */
  config: LanegateConfig;
  /** The config's own file when it was read, so findings about it can point at a line. */
  configSource: YamlSource | null;
  /** Where findings about the config point when its file was not read. */
  configPath: string;
  workflows: readonly YamlSource[];
  /** Whether a file exists at the commit checked; null when that was not looked at. */
  exists(path: string): boolean | null;
}

export const DANGEROUS_TRIGGERS = ["pull_request_target", "workflow_run", "issue_comment", "schedule"];

export function checkWorkflows(input: WorkflowCheckInput): Finding[] {
  const findings: Finding[] = [];
  const workflows: Workflow[] = [];
  for (const source of input.workflows) {
    const read = readWorkflow(source);
    findings.push(...read.findings);
    if (read.workflow) workflows.push(read.workflow);
  }
  const { config } = input;
  const gatedFile = (file: string) => config.gate.workflows.includes(file);
  const gated = (w: Workflow) => gatedFile(w.file);
  const proofs = [config.proofs.backup?.workflow, config.proofs.restore?.workflow];
  const deploy = (w: Workflow) => config.evidence.deploy_workflows.includes(w.file);
  const known = (w: Workflow) => gated(w) || deploy(w) || proofs.includes(w.file);
  for (const w of workflows) {
    if (!known(w)) findings.push(...ungated(w, config));
    if (gated(w)) findings.push(...notAfterWait(w));
    if (known(w) || takesLane(w)) findings.push(...dynamicEnvironments(w, config, gated(w)));
    if (gated(w)) findings.push(...dangerousTriggers(w));
    if (gated(w) || deploy(w)) findings.push(...missingResult(w));
  }
  findings.push(...reachableFromDangerous(workflows, gatedFile), ...proofMismatches(input, workflows));
  return findings;
}

// ---- ungated-destructive-workflow ----

function ungated(w: Workflow, config: LanegateConfig): Finding[] {
  const input = w.inputs.find((i) => i.name === "context");
  if (takesLane(w) && input)
    return [
      finding(
        "ungated-destructive-workflow",
        w.path,
        input.at,
        `${w.file} takes the lane inputs context and instance but is not in gate.workflows (nor a proof or deploy workflow): its runs are never gated`,
      ),
    ];
  const job = w.jobs.find((j) => laneEnvironment(j, config));
  if (!job?.environment) return [];
  return [
    finding(
      "ungated-destructive-workflow",
      w.path,
      job.environment,
      `job ${job.id} uses the lane environment ${job.environment.value}, but ${w.file} is not in gate.workflows (nor a proof or deploy workflow): its runs are never gated`,
    ),
  ];
}

// ---- destructive-job-not-after-wait ----

/** lanegate's wait action: `<owner>/lanegate/wait@<ref>`. */
export function isWaitAction(uses: string): boolean {
  const parts = (uses.split("@")[0] ?? "").split("/");
  return parts.length === 3 && parts[1]?.toLowerCase() === "lanegate" && parts[2] === "wait";
}

/** An `if:` with always(), failure() or cancelled() runs the job when what it needs failed. */
const runsAfterFailure = (condition: string | null) =>
  condition !== null && /\b(?:always|failure|cancelled)\s*\(/.test(condition);

function notAfterWait(w: Workflow): Finding[] {
  const waits = new Set(
    w.jobs.filter((j) => j.steps.some((s) => s.uses && isWaitAction(s.uses.value))).map((j) => j.id),
  );
  if (waits.size === 0)
    return [
      finding(
        "destructive-job-not-after-wait",
        w.path,
        w.jobsAt,
        `no job of ${w.file} runs lanegate's wait action (<owner>/lanegate/wait@<sha>), so nothing waits for the gate`,
      ),
    ];
  const byId = new Map(w.jobs.map((j) => [j.id, j]));
  const memo = new Map<string, boolean>();
  // `needs:` is transitive: a job after a job after the wait is after the wait, unless a job on
  // the way runs when what it needs failed. A cycle (GitHub refuses one) counts as not after.
  const after = (id: string): boolean => {
    if (waits.has(id)) return true;
    const known = memo.get(id);
    if (known !== undefined) return known;
    memo.set(id, false);
    const job = byId.get(id);
    const result = job !== undefined && !runsAfterFailure(job.if) && job.needs.some(after);
    memo.set(id, result);
    return result;
  };
  const waitNames = [...waits].join(", ");
  return w.jobs
    .filter((j) => !after(j.id))
    .map((j) =>
      finding(
        "destructive-job-not-after-wait",
        w.path,
        j.at,
        runsAfterFailure(j.if) && j.needs.length > 0
          ? `job ${j.id} runs even when the wait fails: its if: uses always(), failure() or cancelled()`
          : `job ${j.id} does not need the wait job ${waitNames} (directly or through needs:), so it can run before lanegate decides`,
      ),
    );
}

// ---- dangerous-trigger ----

function dangerousTriggers(w: Workflow): Finding[] {
  return w.triggers
    .filter((t) => DANGEROUS_TRIGGERS.includes(t.value))
    .map((t) =>
      finding(
        "dangerous-trigger",
        w.path,
        t,
        `the gated workflow ${w.file} runs on ${t.value}: only a hand dispatch (workflow_dispatch) may start it`,
      ),
    );
}

const LOCAL_WORKFLOW = "./.github/workflows/";

/** Workflows started by a dangerous trigger that call a gated workflow, through any local calls. */
function reachableFromDangerous(workflows: Workflow[], gated: (file: string) => boolean): Finding[] {
  const byFile = new Map(workflows.map((w) => [w.file, w]));
  const calls = (w: Workflow) =>
    w.jobs.flatMap((j) =>
      j.uses?.value.startsWith(LOCAL_WORKFLOW)
        ? [{ file: j.uses.value.slice(LOCAL_WORKFLOW.length).split("@")[0] ?? "", at: j.uses }]
        : [],
    );
  const findings: Finding[] = [];
  for (const w of workflows) {
    const triggers = w.triggers.filter((t) => DANGEROUS_TRIGGERS.includes(t.value)).map((t) => t.value);
    if (triggers.length === 0) continue;
    for (const first of calls(w)) {
      // Breadth first from this call; a called file not among those checked ends its branch.
      const queue = [[first.file]];
      const seen = new Set<string>();
      for (let chain = queue.shift(); chain; chain = queue.shift()) {
        const file = chain.at(-1) ?? "";
        if (seen.has(file)) continue;
        seen.add(file);
        const callee = byFile.get(file);
        if (gated(file)) {
          findings.push(
            finding(
              "dangerous-trigger",
              w.path,
              first.at,
              `${w.file} runs on ${triggers.join(", ")} and calls ${chain.join(" → ")}, a gated workflow`,
            ),
          );
          break;
        }
        for (const next of callee ? calls(callee) : []) queue.push([...chain, next.file]);
      }
    }
  }
  return findings;
}

// ---- proof-workflow-mismatch ----

function proofMismatches(input: WorkflowCheckInput, workflows: Workflow[]): Finding[] {
  const findings: Finding[] = [];
  for (const kind of ["backup", "restore"] as const) {
    const file = input.config.proofs[kind]?.workflow;
    if (!file) continue;
    const path = `.github/workflows/${file}`;
    const w = workflows.find((x) => x.file === file);
    if (w) {
      const dispatch = w.triggers.find((t) => t.value === "workflow_dispatch");
      if (!dispatch)
        findings.push(
          finding(
            "proof-workflow-mismatch",
            w.path,
            w.on,
            `${file} is the ${kind} proof workflow but has no workflow_dispatch trigger: lanegate counts only proof runs dispatched by hand`,
          ),
        );
      else if (!takesLane(w))
        findings.push(
          finding(
            "proof-workflow-mismatch",
            w.path,
            dispatch,
            `${file} is the ${kind} proof workflow but does not take the inputs context and instance: lanegate cannot tell which lane a run proves`,
          ),
        );
    } else if (input.exists(path) === false && !input.workflows.some((s) => s.path === path)) {
      const at = input.configSource
        ? locate(input.configSource, ["proofs", kind, "workflow"])
        : { line: 1, column: 1 };
      findings.push(
        finding(
          "proof-workflow-mismatch",
          input.configSource?.path ?? input.configPath,
          at,
          `proofs.${kind}.workflow names ${file}, which does not exist under .github/workflows/`,
        ),
      );
    }
  }
  return findings;
}

// ---- missing-result-artifact ----

function missingResult(w: Workflow): Finding[] {
  const uploads = w.jobs.some((j) =>
    j.steps.some(
      (s) => s.uses?.value.startsWith("actions/upload-artifact@") && s.with.name === ARTIFACT_NAME,
    ),
  );
  if (uploads) return [];
  return [
    finding(
      "missing-result-artifact",
      w.path,
      w.jobsAt,
      `${w.file} never uploads the ${ARTIFACT_NAME} artifact (actions/upload-artifact with name: ${ARTIFACT_NAME}): lanegate records no evidence of what its runs did`,
    ),
  ];
}
