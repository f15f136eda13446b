// Finds `lane-policy` fenced code blocks the way CommonMark reads top-level fences, so the block
// the app enforces is the block GitHub renders. Container blocks (quotes, lists) are not parsed:
// a fence inside a blockquote is not a policy block.

export interface FencedBlock {
  /** The block's content, newlines normalised to LF and the fence's indentation removed. */
  text: string;
  /** 1-based body line of the first content line (the opening fence is the line before). */
  line: number;
}

const OPENING = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const CLOSING = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

export function findPolicyBlocks(body: string): FencedBlock[] {
  const lines = normalizeNewlines(body).split("\n");
  const blocks: FencedBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = OPENING.exec(lines[i] ?? "");
    const [, indent = "", fence = "", info = ""] = open ?? [];
    // A backtick fence's info string may not contain backticks (it would be inline code).
    if (!open || (fence.startsWith("`") && info.includes("`"))) {
      i++;
      continue;
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && !closes(lines[end] ?? "", fence)) end++;
    if (info.trim().split(/\s+/)[0] === "lane-policy") {
      const content = lines.slice(start, end).map((line) => stripIndent(line, indent.length));
      blocks.push({ text: content.join("\n"), line: start + 1 });
    }
    i = end + 1;
  }
  return blocks;
}

function closes(line: string, fence: string): boolean {
  const marker = CLOSING.exec(line)?.[1];
  return marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length;
}

function stripIndent(line: string, width: number): string {
  let n = 0;
  while (n < width && line[n] === " ") n++;
  return line.slice(n);
}
