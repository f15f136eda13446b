// Text from outside (an issue, a run, a config) made safe to put into the Markdown lanegate writes.

/**
 * Text from the issue goes into a table cell: every character that Markdown or HTML could act on
 * becomes a numeric entity, so it cannot end a cell, open a tag, link or @-mention anyone.
 * Control and bidirectional-override characters are dropped.
 */
export function escapeCell(text: string): string {
  const cleaned = text.replace(/[\p{Cc}\p{Cf}]/gu, " ");
  return cleaned.replace(/[^A-Za-z0-9 .,:/_-]/g, (c) => `&#${c.codePointAt(0)};`).replace(/_/g, "&#95;");
}
