// The two pull-request check runs as GitHub shows them: conclusion, title, a summary with a table,
// and one annotation per finding. Text from the repository is escaped. Pure.
import { escapeCell } from "../text.ts";
import type { BaselineChange } from "./config-diff.ts";
import type { IgnoredFinding } from "./ignores.ts";
import { type Finding, RULE_IDS, RULES, type RuleId, ruleLink } from "./rules.ts";

export const CONFIG_CHECK = "lanegate: config";
export const WORKFLOWS_CHECK = "lanegate: workflows";
export const CHECK_NAMES = [CONFIG_CHECK, WORKFLOWS_CHECK] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export type Conclusion = "success" | "failure" | "neutral";

/** A check-run annotation as GitHub takes it. */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column: number;
  end_column: number;
  annotation_level: "failure" | "warning";
  title: string;
  message: string;
  raw_details?: string;
}

export interface CheckOutput {
  name: CheckName;
  conclusion: Conclusion;
  title: string;
  summary: string;
  annotations: Annotation[];
}

/** How many findings the summary lists; all of them are annotations anyway. */
const LISTED = 100;

export function annotationOf(f: Finding, docsUrl: string | null): Annotation {
  const link = ruleLink(f.rule_id, docsUrl);
  return {
    path: f.path,
    start_line: f.line,
    end_line: f.line,
    start_column: f.column,
    end_column: f.column,
    annotation_level: f.severity === "error" ? "failure" : "warning",
    title: f.rule_id,
    message: f.message,
    ...(link ? { raw_details: `Why, and how to fix it: ${link}` } : {}),
  };
}

const ruleName = (rule: RuleId, docsUrl: string | null) => {
  const link = ruleLink(rule, docsUrl);
  return link ? `[\`${rule}\`](${link})` : `\`${rule}\``;
};

const where = (f: Finding) => `\`${escapeCell(f.path)}:${f.line}:${f.column}\``;

function findingsSection(
  findings: readonly Finding[],
  ignored: readonly IgnoredFinding[],
  docsUrl: string | null,
): string[] {
  const lines: string[] = [];
  const counted = RULE_IDS.filter(
    (r) => findings.some((f) => f.rule_id === r) || ignored.some((f) => f.rule_id === r),
  );
  if (counted.length > 0) {
    lines.push("| Rule | Severity | Findings | Ignored |", "|---|---|---|---|");
    for (const rule of counted)
      lines.push(
        `| ${ruleName(rule, docsUrl)} | ${RULES[rule].severity} | ${findings.filter((f) => f.rule_id === rule).length} | ${ignored.filter((f) => f.rule_id === rule).length} |`,
      );
    lines.push("");
  }
  if (findings.length > 0) {
    lines.push("**Findings**", "");
    for (const f of findings.slice(0, LISTED))
      lines.push(`- ${where(f)} ${f.severity} \`${f.rule_id}\`: ${escapeCell(f.message)}`);
    if (findings.length > LISTED) lines.push(`- … and ${findings.length - LISTED} more, each an annotation`);
    lines.push("");
  }
  if (ignored.length > 0) {
    lines.push("**Ignored** (`# lanegate: ignore[<rule-id>] <reason>`)", "");
    for (const f of ignored.slice(0, LISTED))
      lines.push(`- ${where(f)} \`${f.rule_id}\`: ${escapeCell(f.message)}. Reason: ${escapeCell(f.reason)}`);
    lines.push("");
  }
  return lines;
}

const errorsIn = (findings: readonly Finding[]) => findings.filter((f) => f.severity === "error").length;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function workflowsCheckOutput(r: {
  findings: Finding[];
  ignored: IgnoredFinding[];
  checked: string[];
  docsUrl: string | null;
}): CheckOutput {
  const errors = errorsIn(r.findings);
  const warnings = r.findings.length - errors;
  const title =
    errors > 0
      ? `${plural(errors, "error")}, ${plural(warnings, "warning")}`
      : warnings > 0
        ? `No errors, ${plural(warnings, "warning")}`
        : "No findings";
  const checked = r.checked.map((p) => `\`${escapeCell(p)}\``).join(", ");
  const summary = [
    `Checked ${plural(r.checked.length, "workflow file")} this pull request adds or changes${checked ? `: ${checked}` : ""}.`,
    "",
    ...findingsSection(r.findings, r.ignored, r.docsUrl),
  ].join("\n");
  return {
    name: WORKFLOWS_CHECK,
    conclusion: errors > 0 ? "failure" : "success",
    title,
    summary,
    annotations: r.findings.map((f) => annotationOf(f, r.docsUrl)),
  };
}

export function configCheckOutput(r: {
  /** Config findings cannot be ignored (`syntax`, `invalid-config`). */
  findings: Finding[];
  changes: BaselineChange[];
  /** What the change is compared with: the config in force on the default branch. */
  inForce: "ok" | "missing" | "invalid";
  docsUrl: string | null;
}): CheckOutput {
  const errors = errorsIn(r.findings);
  const weakened = [...new Set(r.changes.filter((c) => c.kind === "weakened").map((c) => c.scope))];
  const compared = {
    ok: "Compared with the config in force (the default branch's).",
    missing: "Compared with the defaults: no config is in force.",
    invalid: "Compared with the defaults: the config in force is invalid.",
  }[r.inForce];
  if (errors > 0)
    return {
      name: CONFIG_CHECK,
      conclusion: "failure",
      title: `The config is invalid: ${plural(errors, "error")}`,
      summary: [
        "Merged as it is, lanegate would run this repository under the defaults: no lanes declared, no gated workflows.",
        "",
        ...findingsSection(r.findings, [], r.docsUrl),
      ].join("\n"),
      annotations: r.findings.map((f) => annotationOf(f, r.docsUrl)),
    };
  const table =
    r.changes.length === 0
      ? ["Nothing in the baseline changes."]
      : [
          "| Lane | Change | What |",
          "|---|---|---|",
          ...r.changes.map((c) => `| ${escapeCell(c.scope)} | ${c.kind} | ${escapeCell(c.what)} |`),
        ];
  const verdict =
    weakened.length > 0
      ? `**Weakens the baseline** of ${weakened.map(escapeCell).join(", ")}. An operator decides whether that is meant.`
      : "**No lane's baseline is weakened.**";
  return {
    name: CONFIG_CHECK,
    conclusion: weakened.length > 0 ? "neutral" : "success",
    title:
      weakened.length > 0
        ? `Weakens the baseline: ${weakened.join(", ")}`.slice(0, 250)
        : `No lane's baseline is weakened (${plural(r.changes.length, "change")})`,
    summary: [verdict, "", compared, "", ...table].join("\n"),
    annotations: r.findings.map((f) => annotationOf(f, r.docsUrl)),
  };
}
