// Renders the one status comment lanegate keeps on an approval issue. Pure: outcome in, Markdown out.
import { createHash } from "node:crypto";
import { defaultConfirmation, type LaneState } from "../domain.ts";
import type { Decision } from "../gate/decision.ts";
import type { OperationState } from "../operations.ts";
import { escapeCell } from "../text.ts";
import { MIN_PREFIX } from "./approval-command.ts";
import type { IssueOutcome } from "./lifecycle.ts";

/** Marks lanegate's own status comment, so it is found again and edited in place. */
export const STATUS_MARKER = "<!-- lanegate:status -->";

const ICON: Record<LaneState, string> = {
  unknown: "⚪",
  pending: "⏳",
  active: "🟢",
  suspended: "⏸️",
  retired: "⚫",
  expired: "⌛",
  invalid: "❌",
  conflict: "⚠️",
};

/** GitHub's limit on a comment body, with room for the closing note. */
const MAX_BODY = 65_000;
const MAX_ERRORS = 50;

/** A recent gated run for one of the issue's lanes, as the gate recorded it. */
export interface RecentRunFact {
  runId: number;
  attempt: number;
  lane: string;
  runUrl: string;
  allowed: boolean;
  /** The decision as stored; null for a row written before decisions were stored whole. */
  decision: Decision | null;
  operation: { state: OperationState; conclusion: string | null } | null;
}

/** A recent gated run as the comment's table shows it. */
export interface RecentRun {
  lane: string;
  runUrl: string;
  source: string;
  decision: string;
  outcome: string;
  /** The lane's inventory state after the run's evidence, or `-` before it is in. */
  laneState: string;
}

/** `laneState` is the lane's inventory state after the run's evidence, or `-` before it is in. */
export function describeRecentRun(run: RecentRunFact, laneState: string): RecentRun {
  const failed = run.decision?.checks.find((c) => !c.ok);
  const op = run.operation;
  const outcome = op
    ? op.state === "completed"
      ? (op.conclusion ?? "completed")
      : op.state
    : run.allowed
      ? "-"
      : "cancelled or not run";
  return {
    lane: run.lane,
    runUrl: run.runUrl,
    source: run.decision?.request?.source ?? "-",
    decision: run.allowed ? "allowed" : `refused: ${failed?.message ?? "see the check run"}`,
    outcome,
    laneState,
  };
}

export function renderStatusComment(
  outcome: IssueOutcome,
  label: string,
  runs: readonly RecentRun[],
): string {
  const lines = [STATUS_MARKER, "### lanegate: lane status", ""];
  if (outcome.lanes.length === 0) {
    lines.push(
      `No lanes: ${outcome.block.kind === "valid" ? "the block names none" : "the block could not be read"}.`,
    );
  } else {
    lines.push(
      "| Lane | State | Authority | Sources | Upstream source | Confirmation | Expires | Approver | Why |",
      "|---|---|---|---|---|---|---|---|---|",
    );
    for (const l of outcome.lanes) {
      const p = l.policy;
      const phrases = p
        ? p.confirmation
          ? [p.confirmation]
          : p.allowed_rebuild_sources.map((s) => defaultConfirmation(l.lane, s))
        : [];
      const cells = [
        `\`${l.lane}\``,
        `${ICON[l.state]} **${l.state}**`,
        p ? p.data_authority : "",
        p ? p.allowed_rebuild_sources.join(", ") : "",
        escapeCell(p?.upstream_source ?? ""),
        phrases.map(escapeCell).join(" / "),
        escapeCell(l.expiresAt ?? "never"),
        escapeCell(approverCell(l)),
        escapeCell(l.reason),
      ];
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }
  const sha = outcome.block.sha256;
  if (sha && outcome.lanes.some((l) => (l.approvals?.required ?? 1) > 1)) {
    lines.push(
      "",
      `Block version \`${sha.slice(0, 12)}\`. Each further approver comments \`/lanegate approve ${sha.slice(0, MIN_PREFIX)}\` (its first line); any edit of the block resets every approval.`,
    );
  }
  if (outcome.block.kind === "invalid" && !outcome.block.absent) {
    lines.push("", "**The block is invalid; nothing in it is granted:**", "");
  }
  const errors =
    outcome.block.kind === "invalid" ? outcome.block.errors : Object.values(outcome.block.laneErrors).flat();
  // A hostile block can produce thousands of errors; the first ones are enough to fix it.
  for (const e of errors.slice(0, MAX_ERRORS)) {
    const where = [e.path && `\`${escapeCell(e.path)}\``, e.line && `line ${e.line}`]
      .filter(Boolean)
      .join(", ");
    lines.push(`- ${where ? `${where}: ` : ""}${escapeCell(e.message)}`);
  }
  if (errors.length > MAX_ERRORS) lines.push(`- … and ${errors.length - MAX_ERRORS} more`);
  if (runs.length > 0) {
    lines.push(
      "",
      "#### Recent gated runs",
      "",
      "| Lane | Run | Source | Decision | Outcome | Lane state |",
      "|---|---|---|---|---|---|",
    );
    for (const r of runs) {
      lines.push(
        `| \`${r.lane}\` | [run](${r.runUrl}) | ${r.source} | ${escapeCell(r.decision)} | ${escapeCell(r.outcome)} | ${escapeCell(r.laneState)} |`,
      );
    }
  }
  lines.push(
    "",
    `<sub>Approval: an approver applies the \`${escapeCell(label)}\` label. Closing the issue, removing the label or expiry retires every grant.</sub>`,
  );
  const body = lines.join("\n");
  return body.length <= MAX_BODY ? body : `${body.slice(0, MAX_BODY)}\n\n… (truncated)`;
}

/** Who approved: the approver, or with more than one required, `k of N approvals: a, b`. */
function approverCell(l: IssueOutcome["lanes"][number]): string {
  const counted = l.approvals;
  if (!counted || counted.required <= 1) return l.approver ?? "";
  const who = counted.by.length ? `: ${counted.by.join(", ")}` : "";
  return `${counted.by.length} of ${counted.required} approvals${who}`;
}

/** Identifies a rendered body, so an unchanged comment costs no API call. */
export function digest(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}
