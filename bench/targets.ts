// Issue 18's targets, each judged on figures measured in one run against its same-run baselines.
import type { Longest } from "./child.ts";
import type { GateResults } from "./gate.ts";
import type { Mismatch } from "./replay.ts";
import { memoryGrowth, quantile, type Results, type Row, side, table } from "./report.ts";
import type { StoreKind } from "./stores.ts";

export const ISSUE_18 = {
  /** Mean CPU per delivery over the mixed issue workload, against the same-requests app's. */
  cpuOfSameRequests: 1.5,
  /** Median CPU of a delivery that makes no request, against the no-op's. */
  cpuOfNoopWithoutRequests: 4,
  /** SQLite only: on PostgreSQL each statement is a round trip, which the next target bounds. */
  gateOwnP99Ms: 10,
  shareOfNoopThroughput: 1 / 3,
  longestAnswerMs: 2000,
  /** PostgreSQL only: statements sent to the server for one gate decision, BEGIN and COMMIT included. */
  roundTripsPerGateDecision: 3,
};

const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const ms = (v: number) => `${v.toFixed(2)} ms`;
const num = (v: number) => v.toFixed(2);
const signed = (v: number, digits = 2) => `${v >= 0 ? "+" : ""}${v.toFixed(digits)}`;

/** One target judged (null: no target on this store); `figure` is the side-by-side table's form. */
export interface Judged {
  target: string;
  met: boolean | null;
  figure: string;
  detail: string;
}

export function judgeIssue18(r: {
  mixed: Row;
  gate: GateResults;
  longest: Longest & { section: string };
  results: Results;
  store: StoreKind;
}): Judged[] {
  const t = ISSUE_18;
  const { app, same } = r.mixed;
  // A dispatch whose window also held a batched status-comment refresh did make requests.
  const quiet = r.gate.dispatches.filter((d) => d.calls === 0 && d.refreshes === 0);
  const q = side(quiet, 0.99);
  const own = r.gate.pairs.map((p) => p.app.wallMs - p.app.blockedMs);
  const p99 = quantile(own, 0.99);
  const sameP99 = quantile(
    r.gate.pairs.map((p) => p.same.wallMs - p.same.blockedMs),
    0.99,
  );
  const g = r.gate.throughput;
  const memory = memoryGrowth(r.results.memory);
  // A decision whose window also held a batched status-comment refresh ran that refresh's reads too.
  const decisions = r.gate.pairs.filter((p) => p.refreshes === 0).map((p) => p.statements);
  const [fewest, most] = [Math.min(...decisions), Math.max(...decisions)];
  const dispatch = quantile(
    r.gate.dispatches.map((d) => d.statements),
    0.5,
  );
  return [
    {
      target: `CPU per delivery at most ${t.cpuOfSameRequests}x the same-requests app's on the mixed workload (means)`,
      met: app.cpuMean <= same.cpuMean * t.cpuOfSameRequests,
      figure: `${x(app.cpuMean, same.cpuMean)} (${num(app.cpuMean)} / ${num(same.cpuMean)} / ${num(r.mixed.noop.cpuMean)} ms)`,
      detail: `${ms(app.cpuMean)} against ${ms(same.cpuMean)}: ${x(app.cpuMean, same.cpuMean)} over ${r.mixed.n} deliveries (medians ${ms(app.cpu.p50)} and ${ms(same.cpu.p50)}: ${x(app.cpu.p50, same.cpu.p50)})`,
    },
    {
      target: `CPU of a delivery that makes no request at most ${t.cpuOfNoopWithoutRequests}x the no-op's (medians)`,
      met: quiet.length > 0 && q.app.cpu.p50 <= q.noop.cpu.p50 * t.cpuOfNoopWithoutRequests,
      figure: `${x(q.app.cpu.p50, q.noop.cpu.p50)} (${num(q.app.cpu.p50)} / ${num(q.noop.cpu.p50)} ms)`,
      detail: `workflow_dispatch: ${ms(q.app.cpu.p50)} against ${ms(q.noop.cpu.p50)}: ${x(q.app.cpu.p50, q.noop.cpu.p50)} over ${quiet.length} deliveries without a request`,
    },
    {
      target: `SQLite: the gate's own time p99 at most ${t.gateOwnP99Ms} ms (PostgreSQL: no target)`,
      met: r.store === "sqlite" ? p99 <= t.gateOwnP99Ms : null,
      figure: `${ms(p99)} (same-req ${ms(sameP99)})`,
      detail: `p99 ${ms(p99)} over ${own.length} decisions`,
    },
    {
      target: "sustained gate throughput at least a third of the no-op's, none lost or failed",
      met: g.perSecond >= g.noopPerSecond * t.shareOfNoopThroughput && g.lost === 0 && g.failed === 0,
      figure: `${x(g.perSecond, g.noopPerSecond)} (${g.perSecond.toFixed(0)} / ${g.samePerSecond.toFixed(0)} / ${g.noopPerSecond.toFixed(0)} per s), ${g.lost} lost, ${g.failed} failed`,
      detail: `${g.perSecond.toFixed(0)}/s against the no-op's ${g.noopPerSecond.toFixed(0)}/s: ${x(g.perSecond, g.noopPerSecond)} (same-requests ${g.samePerSecond.toFixed(0)}/s), ${g.lost} lost, ${g.failed} answers not 2xx`,
    },
    {
      target: `longest answer at most ${t.longestAnswerMs / 1000} s`,
      met: r.longest.ms <= t.longestAnswerMs,
      figure: `${r.longest.ms.toFixed(0)} ms`,
      detail: `${r.longest.ms.toFixed(0)} ms, a ${r.longest.name} delivery, number ${r.longest.nth} lanegate answered in the ${r.longest.section} section; every delivery counts, warm-up and the sustained load included`,
    },
    {
      target: `PostgreSQL: at most ${t.roundTripsPerGateDecision} database round trips per gate decision (SQLite: statements, no target)`,
      met: r.store === "postgres" ? decisions.length > 0 && most <= t.roundTripsPerGateDecision : null,
      figure: `${fewest === most ? most : `${fewest}-${most}`} per decision (its dispatch ${dispatch})`,
      detail: `${fewest}-${most} statements per workflow_run.requested delivery over ${decisions.length} decisions without a status-comment refresh in their window, delivery claim and settle included; the pair's workflow_dispatch ${dispatch} (p50). The statements of one decision are listed with the gate's tables`,
    },
    {
      target: "memory flat over the run: heap data under 1 MB per 1,000 deliveries, RSS within 10%",
      met: r.results.gcForced && memory.flat,
      figure: `heap ${signed(memory.per1000("app"))} MB per 1,000, RSS ${signed(memory.rssGrowth, 0)}% over ${memory.first?.after ?? 0}-${memory.last?.after ?? 0}`,
      detail: `heap data ${signed(memory.per1000("app"))} MB per 1,000 deliveries (no-op ${signed(memory.per1000("noop"))}), RSS ${signed(memory.rssGrowth, 0)}%, deliveries ${memory.first?.after ?? 0} to ${memory.last?.after ?? 0} of ${r.results.planned} planned`,
    },
  ];
}

export const verdict = (met: boolean | null) => (met === null ? "no target" : met ? "met" : "NOT MET");

/** Each store's targets in a column: the figures the issue judges, side by side. */
export function renderSideBySide(stores: { store: string; targets: Judged[] }[]): string {
  const rows = (stores[0]?.targets ?? []).map((t, i) => [
    t.target,
    ...stores.map((s) => {
      const mine = s.targets[i];
      return mine ? `${verdict(mine.met)}: ${mine.figure}` : "";
    }),
  ]);
  return [
    "Side by side: issue 18's targets on each store, every ratio against the baselines of the same",
    "store's section (lanegate / same-requests / no-op where three figures are given):",
    table(["target", ...stores.map((s) => s.store)], rows),
  ].join("\n");
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
