// Turns the samples into the figures the benchmark promises (each next to its two same-run
// baselines: the same-requests app and the no-op), judges the targets, and prints them.
import type { Measured, Trio } from "./servers.ts";
import { KINDS } from "./workload.ts";

export interface Sample extends Trio {
  /** 1-based position among the measured deliveries (warm-up excluded). */
  index: number;
  kind: string;
  lanes: number;
  /** GitHub API requests the stand-in served for this delivery. */
  calls: number;
  routes: string[];
  /** lanegate's database statements for this delivery (PostgreSQL: round trips). */
  statements: number;
}

interface Usage {
  rss: number;
  heapUsed: number;
  codeUsed: number;
}
export interface MemoryPoint {
  after: number;
  app: Usage;
  noop: Usage;
}

interface Spread {
  p50: number;
  /** p95 for the issue deliveries, p99 for the gate and the evidence path. */
  tail: number;
}

/** One server's figures for a group of deliveries. */
export interface Figures {
  /** Webhook round trip seen by the sender. */
  total: Spread;
  /** Part of `total` with a GitHub API request in flight. */
  blocked: Spread;
  /** total - blocked: the server's own wall time, Probot's share included. */
  own: Spread;
  cpu: Spread;
  /** Mean CPU per delivery: what a mix of kinds costs on average. */
  cpuMean: number;
  /** The longest round trip. */
  longest: number;
}

/** lanegate and its two baselines over the same deliveries. */
export interface Side {
  app: Figures;
  same: Figures;
  noop: Figures;
}

export interface Row extends Side {
  what: string;
  lanes: string;
  n: number;
  calls: { min: number; max: number };
  statements: { min: number; max: number; mean: number };
}

export interface Results {
  date: string;
  machine: string;
  planned: number;
  /** Measured deliveries actually sent: fewer than planned when the time budget ran out. */
  deliveries: number;
  /** The per-kind and whole-issue rows cover the first this many deliveries. */
  costSample: number;
  seconds: number;
  warmup: number;
  gcForced: boolean;
  rejected: number;
  kinds: Row[];
  /** Every kind at both lane counts together, over the cost sample: the mixed workload. */
  mixed: Row;
  issues: Row[];
  windows: Row[];
  routes: { kind: string; lanes: string; routes: string[] }[];
  memory: MemoryPoint[];
  finalStates: Record<string, number>;
  targets: { target: string; met: boolean; detail: string }[];
}

/** Issue 8: an app's CPU per delivery at most this many times a no-op Probot app's. */
export const CPU_RATIO_TARGET = 4;
/**
 * Heap growth after a forced GC that still counts as flat: 1 MB per 1,000 deliveries is 1 KB per
 * delivery, less than one payload, so keeping anything per delivery fails it; V8's slow growth of
 * optimised code over a run passes.
 */
const FLAT_HEAP_MB_PER_1000 = 1;
/** RSS is noisy (the allocator keeps pages): growth within this is not counted as growth. */
const FLAT_RSS_PERCENT = 10;

// Nearest-rank quantile: no interpolation, so every figure is one that was actually measured.
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function figures(values: Measured[], tail: number): Figures {
  const spread = (f: (m: Measured) => number): Spread => {
    const v = values.map(f);
    return { p50: quantile(v, 0.5), tail: quantile(v, tail) };
  };
  const cpu = values.map((m) => m.cpuMs);
  return {
    total: spread((m) => m.wallMs),
    blocked: spread((m) => m.blockedMs),
    own: spread((m) => m.wallMs - m.blockedMs),
    cpu: spread((m) => m.cpuMs),
    cpuMean: cpu.reduce((a, b) => a + b, 0) / cpu.length,
    longest: Math.max(...values.map((m) => m.wallMs)),
  };
}

export function side(samples: Trio[], tail: number): Side {
  return {
    app: figures(
      samples.map((s) => s.app),
      tail,
    ),
    same: figures(
      samples.map((s) => s.same),
      tail,
    ),
    noop: figures(
      samples.map((s) => s.noop),
      tail,
    ),
  };
}

const add = (a: Measured, b: Measured): Measured => ({
  wallMs: a.wallMs + b.wallMs,
  blockedMs: a.blockedMs + b.blockedMs,
  cpuMs: a.cpuMs + b.cpuMs,
});
const ZERO: Measured = { wallMs: 0, blockedMs: 0, cpuMs: 0 };

/** Figures for a group of samples, or for groups summed (one whole issue = its five deliveries). */
export function row(what: string, lanes: string, groups: Sample[][]): Row {
  const summed = groups.map((g) => ({
    app: g.map((s) => s.app).reduce(add, ZERO),
    same: g.map((s) => s.same).reduce(add, ZERO),
    noop: g.map((s) => s.noop).reduce(add, ZERO),
  }));
  const calls = groups.map((g) => g.reduce((acc, s) => acc + s.calls, 0));
  const statements = groups.map((g) => g.reduce((acc, s) => acc + s.statements, 0));
  return {
    what,
    lanes,
    n: groups.length,
    ...side(summed, 0.95),
    calls: { min: Math.min(...calls), max: Math.max(...calls) },
    statements: {
      min: Math.min(...statements),
      max: Math.max(...statements),
      mean: statements.reduce((a, b) => a + b, 0) / statements.length,
    },
  };
}

export function judge(r: Omit<Results, "targets">): Results["targets"] {
  const cpuRatio = (k: Row) => k.app.cpu.p50 / k.noop.cpu.p50;
  const worst = r.kinds.reduce((a, b) => (cpuRatio(b) > cpuRatio(a) ? b : a));
  const fixed = KINDS.map((kind) => r.kinds.filter((k) => k.what === kind)).every(
    (rows) =>
      rows.every((k) => k.calls.min === k.calls.max) && new Set(rows.map((k) => k.calls.min)).size === 1,
  );
  const { first, last, per1000, rssGrowth } = memoryGrowth(r.memory);
  return [
    {
      target: `CPU per delivery at most ${CPU_RATIO_TARGET}x the no-op's (medians, every kind at every lane count)`,
      met: r.kinds.every((k) => cpuRatio(k) <= CPU_RATIO_TARGET),
      detail: `highest: ${worst.what} @${worst.lanes} lanes ${ms(worst.app.cpu.p50)} CPU, no-op ${ms(worst.noop.cpu.p50)} (${ratio(worst.app.cpu.p50, worst.noop.cpu.p50)})`,
    },
    {
      target: "every planned delivery measured within the time budget",
      met: r.deliveries >= r.planned,
      detail: `${r.deliveries} of ${r.planned} in ${r.seconds} s`,
    },
    {
      target: "a fixed number of API calls per kind of delivery, whatever the number of lanes",
      met: fixed,
      detail: r.kinds.map((k) => `${k.what}@${k.lanes}: ${callRange(k)}`).join(", "),
    },
    {
      target: `heap data (after forced GC, code space excluded) does not grow with deliveries (< ${FLAT_HEAP_MB_PER_1000} MB per 1,000)`,
      met: r.gcForced && per1000("app") < FLAT_HEAP_MB_PER_1000,
      detail:
        `app ${per1000("app").toFixed(2)} MB per 1,000 deliveries (no-op ${per1000("noop").toFixed(2)}), ` +
        `deliveries ${first?.after ?? 0} to ${last?.after ?? 0}` +
        (r.gcForced ? "" : "; GC could not be forced, so memory figures include garbage"),
    },
    {
      target: `resident memory (RSS after forced GC) stays within ${FLAT_RSS_PERCENT}% over the run`,
      met: rssGrowth <= FLAT_RSS_PERCENT,
      detail:
        `app RSS ${mb(first?.app.rss)} -> ${mb(last?.app.rss)} MB (${signed(rssGrowth)}%), ` +
        `no-op ${mb(first?.noop.rss)} -> ${mb(last?.noop.rss)} MB, deliveries ${first?.after ?? 0} to ${last?.after ?? 0}`,
    },
  ];
}

/** Whether memory stayed flat over the run: heap data (after forced GC) and RSS growth. */
export function memoryGrowth(memory: MemoryPoint[]) {
  // Growth is measured from the first checkpoint after warm-up ramp-up (the first few hundred
  // deliveries fill JIT code and caches) to the last one.
  const first = memory[1] ?? memory[0];
  const last = memory.at(-1);
  const per1000 = (side: "app" | "noop") =>
    first && last && last.after > first.after
      ? ((data(last[side]) - data(first[side])) / MB / (last.after - first.after)) * 1000
      : Number.NaN;
  const rssGrowth = first && last ? (last.app.rss / first.app.rss - 1) * 100 : Number.NaN;
  const flat = per1000("app") < FLAT_HEAP_MB_PER_1000 && rssGrowth <= FLAT_RSS_PERCENT;
  return { first, last, per1000, rssGrowth, flat };
}

const MB = 1024 * 1024;
/** Heap without V8's code space: what the app keeps, not what the JIT compiled. */
const data = (u: Usage) => u.heapUsed - u.codeUsed;
const mb = (v: number | undefined) => ((v ?? Number.NaN) / MB).toFixed(1);
const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(0)}`;
const ms = (v: number) => `${v.toFixed(2)} ms`;
const num = (v: number) => v.toFixed(2);
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;
const callRange = (k: Row) =>
  k.calls.min === k.calls.max ? `${k.calls.min}` : `${k.calls.min}-${k.calls.max}`;
const statementRange = ({ statements: s }: Row) =>
  `${s.min === s.max ? s.min : `${s.min}-${s.max}`} (${s.mean.toFixed(1)})`;

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const pair = (s: Spread) => `${num(s.p50)} / ${num(s.tail)}`;

/** Columns for lanegate next to both baselines: round trip and own time. */
export function latencyHead(tail: string): string[] {
  return [
    `total p50/${tail}`,
    `same-req p50/${tail}`,
    `no-op p50/${tail}`,
    "total/same-req",
    "total/no-op",
    "blocked p50",
    "same-req blocked",
    `own p50/${tail}`,
    `same-req own p50/${tail}`,
    "own/same-req",
    "own/no-op",
    "longest",
  ];
}
export function latencyCells({ app, same, noop }: Side): string[] {
  return [
    pair(app.total),
    pair(same.total),
    pair(noop.total),
    ratio(app.total.p50, same.total.p50),
    ratio(app.total.p50, noop.total.p50),
    num(app.blocked.p50),
    num(same.blocked.p50),
    pair(app.own),
    pair(same.own),
    ratio(app.own.p50, same.own.p50),
    ratio(app.own.p50, noop.own.p50),
    `${num(app.longest)} (${num(same.longest)}, ${num(noop.longest)})`,
  ];
}

/** Columns for lanegate's CPU next to both baselines'. */
export function cpuHead(tail: string): string[] {
  return [
    `CPU p50/${tail}`,
    `same-req p50/${tail}`,
    `no-op p50/${tail}`,
    "CPU/same-req",
    "CPU/no-op",
    "mean: CPU, same-req, no-op",
    "mean/same-req",
  ];
}
export function cpuCells({ app, same, noop }: Side): string[] {
  return [
    pair(app.cpu),
    pair(same.cpu),
    pair(noop.cpu),
    ratio(app.cpu.p50, same.cpu.p50),
    ratio(app.cpu.p50, noop.cpu.p50),
    `${num(app.cpuMean)}, ${num(same.cpuMean)}, ${num(noop.cpuMean)}`,
    ratio(app.cpuMean, same.cpuMean),
  ];
}

const issueTables = (rows: Row[]) => {
  const lead = (k: Row) => [k.what, k.lanes, String(k.n)];
  return [
    "Latency, ms (longest: lanegate, then same-requests and no-op in brackets):",
    table(
      ["delivery", "lanes", "n", ...latencyHead("p95"), "API calls", "DB statements (mean)"],
      rows.map((k) => [...lead(k), ...latencyCells(k), callRange(k), statementRange(k)]),
    ),
    "CPU, ms:",
    table(
      ["delivery", "lanes", "n", ...cpuHead("p95")],
      rows.map((k) => [...lead(k), ...cpuCells(k)]),
    ),
  ];
};

export function render(r: Results): string {
  const out = [
    `lanegate benchmark, ${r.date}, ${r.machine}`,
    `${r.deliveries} of ${r.planned} planned deliveries measured (after ${r.warmup} warm-up ones) in ${r.seconds} s` +
      (r.deliveries < r.planned ? ": the time budget ran out first." : "."),
    "Every figure is lanegate next to two Probot apps fed the same signed deliveries in the same run:",
    "the same-requests app (same-req: makes the GitHub requests lanegate made for the delivery, through",
    "the same Octokit, and nothing else) and the no-op app. lanegate's own work is the difference.",
    "Times in ms. total = webhook round-trip; blocked = time with a GitHub API request in flight;",
    "own = total - blocked; CPU = the server process's CPU time (user + system) for the delivery.",
    "DB statements = lanegate's database statements for the delivery (on PostgreSQL each is a round trip).",
    "Ratios are on medians, or on means where the column says so.",
    "",
    `Per delivery, first ${r.costSample} deliveries (issues alternate between 4 and 50 lanes; the last`,
    "row is all of them together, the mixed workload):",
    ...issueTables([...r.kinds, r.mixed]),
    "",
    `Whole issue (its five deliveries summed), first ${r.costSample} deliveries:`,
    ...issueTables(r.issues),
    "",
    "By position in the run, all lane counts (does the cost grow with history?):",
    ...issueTables(r.windows),
    "",
    "Resident memory after a forced GC, MB:",
    table(
      ["after deliveries", "app RSS", "app heap", "of it code", "no-op RSS", "no-op heap", "RSS app/no-op"],
      r.memory.map((m) => [
        String(m.after),
        mb(m.app.rss),
        mb(m.app.heapUsed),
        mb(m.app.codeUsed),
        mb(m.noop.rss),
        mb(m.noop.heapUsed),
        ratio(m.app.rss, m.noop.rss),
      ]),
    ),
    "",
    "API calls by route (one delivery of each kind):",
    ...r.routes.map((c) => `  ${c.kind} @${c.lanes} lanes: ${c.routes.join(", ")}`),
    "",
    `Non-2xx answers: ${r.rejected}. Lane states at the end: ${JSON.stringify(r.finalStates)}`,
    "",
    "Targets:",
    ...r.targets.map((t) => `  [${t.met ? "met" : "NOT MET"}] ${t.target}\n        ${t.detail}`),
  ];
  return out.join("\n");
}
