// `# lanegate: ignore[<rule-id>] <reason>` on a finding's line or the line above silences that
// finding; the reason is required and shown wherever the ignored finding is listed. Pure.
import { type Finding, type RuleId, UNSILENCEABLE } from "./rules.ts";

export interface IgnoredFinding extends Finding {
  reason: string;
}

interface Marker {
  line: number;
  rules: string[];
  reason: string;
}

// Read from a comment's text (the YAML parser found the comment), not from the file's text.
const MARKER = /^lanegate:\s*ignore\[([^\]]*)\]\s*(.*)$/;

function markersOf(comments: readonly { line: number; text: string }[]): Marker[] {
  return comments.flatMap((c) => {
    const match = MARKER.exec(c.text);
    if (!match) return [];
    const rules = (match[1] ?? "")
      .split(",")
      .map((r) => r.trim())
      .filter(Boolean);
    return [{ line: c.line, rules, reason: (match[2] ?? "").trim() }];
  });
}

export function applyIgnores(
  findings: readonly Finding[],
  commentsByPath: ReadonlyMap<string, readonly { line: number; text: string }[]>,
): { findings: Finding[]; ignored: IgnoredFinding[] } {
  const markers = new Map([...commentsByPath].map(([path, comments]) => [path, markersOf(comments)]));
  const kept: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  for (const f of findings) {
    const marker = (markers.get(f.path) ?? []).find(
      (m) => (m.line === f.line || m.line === f.line - 1) && m.rules.includes(f.rule_id),
    );
    if (!marker || UNSILENCEABLE.includes(f.rule_id as RuleId)) kept.push(f);
    else if (!marker.reason)
      kept.push({
        ...f,
        message: `${f.message} (the ignore comment on line ${marker.line} gives no reason, so it does not count)`,
      });
    else ignored.push({ ...f, reason: marker.reason });
  }
  return { findings: kept, ignored };
}
