// Operations per week by result, as an inline SVG drawn on the server, with the same numbers in a
// table for screen readers and for anyone who would rather read than look.
import { type Html, html } from "./html.ts";
import { table } from "./layout.ts";

// By what the operation left the lane as: the evidence's word, not the run's conclusion (a run
// that succeeded can leave a lane verification_failed).
const RESULTS = ["ready", "not ready", "no evidence", "in flight", "stale"] as const;
type Result = (typeof RESULTS)[number];
const COLOURS: Record<Result, string> = {
  ready: "#1a7f37",
  "not ready": "#cf222e",
  "no evidence": "#6e7781",
  "in flight": "#0969da",
  stale: "#bf8700",
};
const WEEKS = 12;
const DAY = 86_400_000;

export interface OperationTime {
  startedAt: string;
  state: string;
  /** The lane state the operation's evidence set, if any was recorded. */
  laneState: string | null;
}

export interface Week {
  week: string;
  counts: Record<Result, number>;
}

function resultOf(op: OperationTime): Result {
  if (op.state === "requested" || op.state === "in_flight") return "in flight";
  if (op.state === "stale") return "stale";
  if (op.laneState === null) return "no evidence";
  return op.laneState === "ready" ? "ready" : "not ready";
}

/** Monday 00:00 UTC of the week holding `at`. */
function weekStart(at: Date): number {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return day - ((at.getUTCDay() + 6) % 7) * DAY;
}

/** The last twelve weeks up to `now`, each with its operations counted by result. */
export function operationsPerWeek(ops: OperationTime[], now: Date): Week[] {
  const last = weekStart(now);
  const weeks = Array.from({ length: WEEKS }, (_, i) => ({
    start: last - (WEEKS - 1 - i) * 7 * DAY,
    counts: Object.fromEntries(RESULTS.map((r) => [r, 0])) as Record<Result, number>,
  }));
  for (const op of ops) {
    const start = weekStart(new Date(op.startedAt));
    const week = weeks.find((w) => w.start === start);
    if (week) week.counts[resultOf(op)] += 1;
  }
  return weeks.map((w) => ({ week: new Date(w.start).toISOString().slice(0, 10), counts: w.counts }));
}

export function weeklyPlot(weeks: Week[]): Html {
  const width = 600;
  const height = 180;
  const left = 28;
  const bottom = 36;
  const totals = weeks.map((w) => RESULTS.reduce((n, r) => n + w.counts[r], 0));
  const max = Math.max(1, ...totals);
  const slot = (width - left) / weeks.length;
  const scale = (height - bottom - 8) / max;
  const bars = weeks.map((w, i) => {
    let y = height - bottom;
    const x = left + i * slot + slot * 0.15;
    const segments = RESULTS.filter((r) => w.counts[r] > 0).map((r) => {
      const h = w.counts[r] * scale;
      y -= h;
      return html`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[r]}"><title>${w.week}: ${w.counts[r]} ${r}</title></rect>`;
    });
    const label =
      i % 2 === 0
        ? html`<text x="${x.toFixed(1)}" y="${height - bottom + 14}">${w.week.slice(5)}</text>`
        : null;
    return html`${segments}${label}`;
  });
  const legend = RESULTS.map(
    (r, i) =>
      html`<rect x="${left + i * 110}" y="${height - 12}" width="10" height="10" fill="${COLOURS[r]}"></rect><text x="${left + i * 110 + 14}" y="${height - 3}">${r}</text>`,
  );
  const total = totals.reduce((a, b) => a + b, 0);
  return html`<figure>
<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="plot-title">
<title id="plot-title">Operations per week by result, last ${weeks.length} weeks: ${total} in all</title>
<text x="0" y="12">${max}</text><text x="0" y="${height - bottom}">0</text>
<line x1="${left - 2}" y1="${height - bottom}" x2="${width}" y2="${height - bottom}" stroke="currentColor"></line>
${bars}${legend}</svg>
<figcaption><details><summary>The numbers</summary>
${table(
  "Operations per week",
  ["Week of", ...RESULTS],
  weeks.filter((_, i) => totals[i]).map((w) => [w.week, ...RESULTS.map((r) => String(w.counts[r]))]),
  "no operations in these weeks",
)}</details></figcaption></figure>`;
}
