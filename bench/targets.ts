// Issue 18's targets, each judged on figures measured in one run against its same-run baselines.
import type { Longest } from "./child.ts";
import type { GateResults } from "./gate.ts";
import type { Mismatch } from "./replay.ts";
import { quantile, type Row, side } from "./report.ts";

export const ISSUE_18 = {
  /** Mean CPU per delivery over the mixed issue workload, against the same-requests app's. */
  cpuOfSameRequests: 1.5,
  /** Median CPU of a delivery that makes no request, against the no-op's. */
  cpuOfNoopWithoutRequests: 4,
  gateOwnP99Ms: 10,
  shareOfNoopThroughput: 1 / 3,
  longestAnswerMs: 2000,
};

const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const ms = (v: number) => `${v.toFixed(2)} ms`;

export function judgeIssue18(r: { mixed: Row; gate: GateResults; longest: Longest & { section: string } }) {
  const t = ISSUE_18;
  const { app, same } = r.mixed;
  // A dispatch whose window also held a batched status-comment refresh did make requests.
  const quiet = r.gate.dispatches.filter((d) => d.calls === 0 && d.refreshes === 0);
  const q = side(quiet, 0.99);
  const own = r.gate.pairs.map((p) => p.app.wallMs - p.app.blockedMs);
  const p99 = quantile(own, 0.99);
  const g = r.gate.throughput;
  return [
    {
      target: `CPU per delivery at most ${t.cpuOfSameRequests}x the same-requests app's on the mixed workload (means)`,
      met: app.cpuMean <= same.cpuMean * t.cpuOfSameRequests,
      detail: `${ms(app.cpuMean)} against ${ms(same.cpuMean)}: ${x(app.cpuMean, same.cpuMean)} over ${r.mixed.n} deliveries (medians ${ms(app.cpu.p50)} and ${ms(same.cpu.p50)}: ${x(app.cpu.p50, same.cpu.p50)})`,
    },
    {
      target: `CPU of a delivery that makes no request at most ${t.cpuOfNoopWithoutRequests}x the no-op's (medians)`,
      met: quiet.length > 0 && q.app.cpu.p50 <= q.noop.cpu.p50 * t.cpuOfNoopWithoutRequests,
      detail: `workflow_dispatch: ${ms(q.app.cpu.p50)} against ${ms(q.noop.cpu.p50)}: ${x(q.app.cpu.p50, q.noop.cpu.p50)} over ${quiet.length} deliveries without a request`,
    },
    {
      target: `the gate's own time p99 at most ${t.gateOwnP99Ms} ms`,
      met: p99 <= t.gateOwnP99Ms,
      detail: `p99 ${ms(p99)} over ${own.length} decisions`,
    },
    {
      target: "sustained gate throughput at least a third of the no-op's, none lost",
      met: g.perSecond >= g.noopPerSecond * t.shareOfNoopThroughput && g.lost === 0,
      detail: `${g.perSecond.toFixed(0)}/s against the no-op's ${g.noopPerSecond.toFixed(0)}/s: ${x(g.perSecond, g.noopPerSecond)} (same-requests ${g.samePerSecond.toFixed(0)}/s), ${g.lost} lost`,
    },
    {
      target: `longest answer at most ${t.longestAnswerMs / 1000} s`,
      met: r.longest.ms <= t.longestAnswerMs,
      detail: `${r.longest.ms.toFixed(0)} ms, a ${r.longest.name} delivery, number ${r.longest.nth} lanegate answered in the ${r.longest.section} section; every delivery counts, warm-up and the sustained load included`,
    },
  ];
}

export function renderMismatches(mismatches: Mismatch[]): string {
  if (mismatches.length === 0)
    return "Every replayed request got the status lanegate's got (the same-requests app made the same requests).";
  const counts = new Map<string, number>();
  for (const m of mismatches) {
    const key = `${m.route.replace(/\/\d+(?=\/|$)/g, "/{n}")}: ${m.expected} for lanegate, ${m.got} replayed`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [
    `Replayed requests answered otherwise than lanegate's were: ${mismatches.length}`,
    ...[...counts].map(([key, n]) => `  ${n} x ${key}`),
  ].join("\n");
}
