// A plain text table: columns padded to their widest cell. On a terminal long cells are cut so
// rows stay readable; `wide` keeps every cell whole (for pipes, and for --wide).
const MAX_CELL = 60;

export function table(header: string[], rows: string[][], options = { wide: !process.stdout.isTTY }): string {
  const cut = (s: string) => (!options.wide && s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s);
  const all = [header, ...rows].map((r) => r.map(cut));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  "))
    .join("\n");
}
