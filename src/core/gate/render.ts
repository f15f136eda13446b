// The check run's text: one line of decision, then every check with its result. Pure.
import { escapeCell } from "../text.ts";
import type { Decision } from "./decision.ts";

export const checkName = (lane: string | null) => `lanegate: ${lane ?? "unknown lane"}`;

export function renderCheckSummary(decision: Decision, runUrl: string, operationUrl: string | null): string {
  const rows = decision.checks.map(
    (c, i) =>
      `| ${i + 1} | ${c.name} | ${c.ok ? "✅ pass" : "❌ fail"} | \`${c.code}\` | ${escapeCell(c.message)} |`,
  );
  const links = [
    `Run: ${runUrl}`,
    decision.grant ? `Approval issue: ${decision.grant.url}` : "Approval issue: none",
    ...(operationUrl ? [`Record: ${operationUrl}`] : []),
  ];
  // Declared inputs besides the four (gate.inputs), as dispatched: part of what was allowed.
  const extra = Object.entries(decision.request?.extra ?? {}).map(
    ([name, value]) => `- \`${escapeCell(name)}\`: ${escapeCell(value)}`,
  );
  const verdict = decision.allowed
    ? "**Allowed.** Every check passed; the workflow may go ahead."
    : "**Refused.** The workflow must not run its destructive steps. Fix what failed, then dispatch a new run.";
  return [
    verdict,
    "",
    "| # | Check | Result | Code | Why |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    ...(extra.length > 0 ? ["Declared inputs:", ...extra, ""] : []),
    ...links,
  ].join("\n");
}
