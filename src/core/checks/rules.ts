// The contract checks' rules: stable ids, a severity each, a one-line summary and the anchor of
// its section in docs/operations.md. A finding names its rule, file, line and column. Pure.

export const RULES = {
  "ungated-destructive-workflow": {
    severity: "error",
    summary: "takes a lane (its inputs or environment) but the config does not name the workflow",
  },
  "destructive-job-not-after-wait": {
    severity: "error",
    summary: "a job of a gated workflow can run without lanegate's wait job succeeding first",
  },
  "dynamic-lane-environment": {
    severity: "error",
    summary: "a lane workflow's environment comes from an expression not limited to known lanes",
  },
  "dangerous-trigger": {
    severity: "error",
    summary:
      "a gated workflow is reachable from pull_request_target, workflow_run, issue_comment or schedule",
  },
  "proof-workflow-mismatch": {
    severity: "error",
    summary: "a proof workflow the config names does not exist or cannot prove anything for a lane",
  },
  "missing-result-artifact": {
    severity: "warning",
    summary: "a gated or deploy workflow never uploads the lanegate-result artifact",
  },
  syntax: { severity: "error", summary: "the file is not valid YAML or not a workflow GitHub can run" },
  "invalid-config": {
    severity: "error",
    summary: "the config does not validate: lanegate would run under the defaults",
  },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

export type RuleId = keyof typeof RULES;
export type Severity = "error" | "warning";
export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** Rules an ignore comment cannot silence: a file that cannot be read cannot be vouched for. */
export const UNSILENCEABLE: readonly RuleId[] = ["syntax", "invalid-config"];

export interface Finding {
  rule_id: RuleId;
  path: string;
  line: number;
  column: number;
  severity: Severity;
  message: string;
}

export function finding(
  rule: RuleId,
  path: string,
  at: { line: number; column: number },
  message: string,
): Finding {
  return { rule_id: rule, path, line: at.line, column: at.column, severity: RULES[rule].severity, message };
}

/** The heading anchor of a rule's section in docs/operations.md. */
export const ruleAnchor = (rule: RuleId) => `rule-${rule}`;

/** Where a rule is explained, when the operator published the docs (LANEGATE_DOCS_URL). */
export function ruleLink(rule: RuleId, docsUrl: string | null): string | null {
  return docsUrl ? `${docsUrl.replace(/#.*$/, "")}#${ruleAnchor(rule)}` : null;
}

/** Findings in a stable order: by file, line, column, then rule. */
export function sortFindings<T extends Finding>(findings: T[]): T[] {
  return [...findings].sort(
    (a, b) =>
      a.path.localeCompare(b.path) ||
      a.line - b.line ||
      a.column - b.column ||
      a.rule_id.localeCompare(b.rule_id) ||
      a.message.localeCompare(b.message),
  );
}
