// `lanegate check <dir>`: the pull-request checks' rules over a checkout, for a tenant repository
// or a workflow step. Reads only files; needs no database and no GitHub. Exit 1 when an error
// finding remains, 0 otherwise, 2 for a usage error.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { type CheckResult, checkCheckout, type TextFile } from "../core/checks/check.ts";
import { toSarif } from "../core/checks/sarif.ts";
import { isWorkflowPath } from "../core/checks/workflow.ts";
import { CONFIG_PATH } from "../core/config/chain.ts";
import { type Command, UsageError } from "./spec.ts";

const WORKFLOWS = ".github/workflows";

function readCheckout(root: string) {
  const file = (path: string): TextFile => ({ path, text: readFileSync(join(root, path), "utf8") });
  const folder = join(root, WORKFLOWS);
  const names = existsSync(folder) ? readdirSync(folder).sort() : [];
  const workflows = names
    .map((name) => `${WORKFLOWS}/${name}`)
    .filter((path) => isWorkflowPath(path) && statSync(join(root, path)).isFile())
    .map(file);
  return {
    config: existsSync(join(root, CONFIG_PATH)) ? file(CONFIG_PATH) : null,
    workflows,
    exists: (path: string) => existsSync(join(root, path)),
  };
}

function text(result: CheckResult): string {
  const lines = result.findings.map(
    (f) => `${f.path}:${f.line}:${f.column}: ${f.severity} ${f.rule_id}: ${f.message}`,
  );
  for (const f of result.ignored)
    lines.push(`${f.path}:${f.line}:${f.column}: ignored ${f.rule_id}: ${f.message} (reason: ${f.reason})`);
  const errors = result.findings.filter((f) => f.severity === "error").length;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  lines.push(
    `${count(errors, "error")}, ${count(result.findings.length - errors, "warning")}, ${result.ignored.length} ignored`,
  );
  return lines.join("\n");
}

export const check: Command = {
  name: "check",
  args: ["dir"],
  summary: "check a checkout's .github/lanegate.yml and workflows with the pull-request rules",
  description: [
    "Reads <dir>/.github/lanegate.yml and every workflow in <dir>/.github/workflows/ and prints the",
    "findings of the rules lanegate's pull-request checks apply (docs/operations.md, \"Contract checks",
    'on pull requests"). Exit 1 when an error finding remains, 0 otherwise. No database, no GitHub.',
    "Set LANEGATE_DOCS_URL to link each rule in the SARIF output to its explanation.",
  ].join("\n"),
  standalone: true,
  options: {
    json: {
      type: "boolean",
      description: 'print {"findings": [{"rule_id", "path", "line", "column", "severity", "message"}]}',
      default: "off",
    },
    sarif: { type: "boolean", description: "print SARIF 2.1.0 (for code scanning)", default: "off" },
  },
  async run([dir = ""], values) {
    if (values.json && values.sarif) throw new UsageError("--json and --sarif cannot be used together");
    const root = resolve(dir);
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`${dir} is not a directory`);
    const result = checkCheckout(readCheckout(root));
    for (const note of result.notes) console.error(`lanegate check: ${note}`);
    if (values.json) console.log(JSON.stringify({ findings: result.findings }, null, 2));
    else if (values.sarif)
      console.log(JSON.stringify(toSarif(result, process.env.LANEGATE_DOCS_URL || null), null, 2));
    else console.log(text(result));
    return result.findings.some((f) => f.severity === "error") ? 1 : 0;
  },
};
