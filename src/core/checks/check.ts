// The checks end to end on plain files: a checkout (the CLI) or a pull request's changed files at
// its head commit (the check runs). Both go through the same readers and rules, so the same files
// give the same findings. Pure.
import { CONFIG_PATH } from "../config/chain.ts";
import { type ConfigLoad, configInForce, type UsableLoad } from "../config/load.ts";
import { DEFAULT_CONFIG } from "../config/schema.ts";
import { type ChainFile, checkConfigChain, readConfigSource } from "./config-check.ts";
import { compareBaselines } from "./config-diff.ts";
import { applyIgnores, type IgnoredFinding } from "./ignores.ts";
import {
  type CheckName,
  type CheckOutput,
  CONFIG_CHECK,
  configCheckOutput,
  WORKFLOWS_CHECK,
  workflowsCheckOutput,
} from "./render.ts";
import { type Finding, sortFindings } from "./rules.ts";
import { readYaml, type YamlSource } from "./source.ts";
import { checkWorkflows } from "./workflow-rules.ts";

export interface TextFile {
  path: string;
  text: string;
}

export interface CheckResult {
  findings: Finding[];
  ignored: IgnoredFinding[];
}

function ignoring(findings: Finding[], sources: readonly (YamlSource | null)[]): CheckResult {
  const comments = new Map(sources.flatMap((s) => (s ? [[s.path, s.comments] as const] : [])));
  const result = applyIgnores(findings, comments);
  return { findings: sortFindings(result.findings), ignored: sortFindings(result.ignored) };
}

/**
 * A checkout: its `.github/lanegate.yml` (checked on its own: `_extends` names other
 * repositories, which a checkout does not hold) and every workflow file.
 */
export function checkCheckout(c: {
  config: TextFile | null;
  workflows: TextFile[];
  exists(path: string): boolean;
}): CheckResult & { notes: string[] } {
  const configSource = c.config ? readYaml(c.config.path, c.config.text) : null;
  const read = configSource ? readConfigSource(configSource) : null;
  const chain: ChainFile[] = [
    {
      file: { owner: "", repo: "", path: CONFIG_PATH, etag: null, config: read?.config ?? null },
      source: configSource,
      localPath: CONFIG_PATH,
    },
  ];
  const outcome = configOutcome(chain, read?.findings ?? []);
  const workflows = c.workflows.map((w) => readYaml(w.path, w.text));
  const findings = [
    ...outcome.findings,
    ...workflowFindings(outcome.load, configSource, workflows, c.exists),
  ];
  const notes =
    read?.config._extends !== undefined
      ? [`${CONFIG_PATH} has _extends, which names another repository's file: it is checked on its own here`]
      : [];
  return { ...ignoring(findings, [configSource, ...workflows]), notes };
}

/** The chain validated; any finding (its text included) makes the config invalid. */
function configOutcome(
  chain: readonly ChainFile[],
  chainFindings: Finding[],
): { load: UsableLoad; findings: Finding[] } {
  const checked = checkConfigChain(chain, CONFIG_PATH);
  const findings = sortFindings([...chainFindings, ...checked.findings]);
  if (findings.length === 0) return checked;
  const errors = findings.map((f) => `${f.path}:${f.line}: ${f.message}`);
  return { load: { status: "invalid", config: null, errors }, findings };
}

function workflowFindings(
  load: UsableLoad,
  configSource: YamlSource | null,
  workflows: YamlSource[],
  exists: (path: string) => boolean | null,
): Finding[] {
  // The workflows are judged under the config the change leaves in force: an invalid one means
  // the defaults, exactly as lanegate would run them.
  const config = load.config ?? DEFAULT_CONFIG;
  return checkWorkflows({ config, configSource, configPath: CONFIG_PATH, workflows, exists });
}

export interface PullRequestFiles {
  /** The config chain with the pull request's versions of the files it changes. */
  chain: ChainFile[];
  /** Findings the chain could not be read without (a bad `_extends`, text that is no config). */
  chainFindings: Finding[];
  /** Whether the pull request changes a file of the chain: only then is there a config check. */
  configChanged: boolean;
  /** The config in force now (the default branch's), which the change is compared with. */
  inForce: Exclude<ConfigLoad, { status: "unreadable" }>;
  /** Whether the pull request adds, changes, renames or removes a workflow: only then is there a workflows check. */
  workflowsChanged: boolean;
  /** The workflow files the pull request adds or changes, at its head commit. */
  workflows: TextFile[];
  exists(path: string): boolean | null;
  defaultBranch: string;
  docsUrl: string | null;
}

/** The check runs a pull request gets: the config's when it changes the chain, the workflows' when it changes one. */
export function checkPullRequestFiles(pr: PullRequestFiles, only: CheckName | null = null): CheckOutput[] {
  const own = pr.chain.find((c) => c.localPath === CONFIG_PATH)?.source ?? null;
  const { load, findings: configFindings } = configOutcome(pr.chain, pr.chainFindings);
  const outputs: CheckOutput[] = [];
  if (pr.configChanged && (only === null || only === CONFIG_CHECK)) {
    const before = configInForce(pr.inForce);
    const after = load.status === "invalid" ? null : (load.config ?? DEFAULT_CONFIG);
    outputs.push(
      configCheckOutput({
        findings: configFindings,
        changes: before && after ? compareBaselines(before, after, pr.defaultBranch) : [],
        inForce: pr.inForce.status,
        docsUrl: pr.docsUrl,
      }),
    );
  }
  if (pr.workflowsChanged && (only === null || only === WORKFLOWS_CHECK)) {
    const sources = pr.workflows.map((w) => readYaml(w.path, w.text));
    // An unchanged config is not read, so its findings point at its first line.
    const configSource = pr.configChanged ? own : null;
    const result = ignoring(workflowFindings(load, configSource, sources, pr.exists), [
      configSource,
      ...sources,
    ]);
    outputs.push(
      workflowsCheckOutput({ ...result, checked: pr.workflows.map((w) => w.path), docsUrl: pr.docsUrl }),
    );
  }
  return outputs;
}
