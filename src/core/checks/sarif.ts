// The findings as SARIF 2.1.0, which GitHub code scanning (and other tools) read. An ignored
// finding is a result with an in-source suppression and its reason. Pure.
import type { Log, ReportingDescriptor, Result } from "sarif";
import type { CheckResult } from "./check.ts";
import type { IgnoredFinding } from "./ignores.ts";
import { type Finding, RULE_IDS, RULES, ruleLink } from "./rules.ts";

export function toSarif(result: CheckResult, docsUrl: string | null): Log {
  const rules: ReportingDescriptor[] = RULE_IDS.map((id) => {
    const help = ruleLink(id, docsUrl);
    return {
      id,
      shortDescription: { text: RULES[id].summary },
      defaultConfiguration: { level: RULES[id].severity },
      ...(help ? { helpUri: help } : {}),
    };
  });
  const resultOf = (f: Finding): Result => ({
    ruleId: f.rule_id,
    ruleIndex: RULE_IDS.indexOf(f.rule_id),
    level: f.severity,
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: f.path },
          region: { startLine: f.line, startColumn: f.column },
        },
      },
    ],
  });
  const suppressed = (f: IgnoredFinding): Result => ({
    ...resultOf(f),
    suppressions: [{ kind: "inSource", justification: f.reason }],
  });
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "lanegate", rules } },
        results: [...result.findings.map(resultOf), ...result.ignored.map(suppressed)],
      },
    ],
  };
}
