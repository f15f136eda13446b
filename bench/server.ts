// The process under test, forked by bench/run.ts: lanegate, a no-op Probot app, or the
// same-requests app (bench/replay.ts), each served by Probot's own HTTP server. It runs apart from
// the stand-in and the driver so that its memory and CPU time are its own, and it answers the
// driver's questions over the IPC channel.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";
import { run } from "probot";
import { startLanegate } from "../src/server.ts";
import { freePort } from "../test/support/ports.ts";
import { type Mismatch, type PlannedRequest, ReplayOctokit, replay } from "./replay.ts";
import { countStatements, takeStatements } from "./statements.ts";

export type Mode = "lanegate" | "noop" | "same-requests";
export type Request =
  /** The counters since the last take; `texts`: with the statements' texts. */
  | { op: "take"; texts?: boolean }
  | { op: "memory" }
  | { op: "stop" }
  /** The same-requests app's requests for one delivery, sent before the delivery; not answered. */
  | { op: "plan"; id: string; plan: PlannedRequest[] };
export interface Took {
  op: "took";
  /** Wall time with at least one GitHub API request in flight, since the last take. */
  blockedMs: number;
  /** CPU time (user + system, all threads of this process) since the last take. */
  cpuMs: number;
  /** Replayed requests answered otherwise than lanegate's were, since the last take. */
  mismatches: Mismatch[];
  /** Database statements since the last take (lanegate only; bench/statements.ts). */
  statements: number;
  /** Their texts, when the take asked for them. */
  texts?: string[];
}
export interface Memory {
  op: "memory";
  gc: boolean;
  rss: number;
  heapUsed: number;
  /** Part of heapUsed that is compiled code, which V8 keeps adding to as it optimises more. */
  codeUsed: number;
}
export type Answer = { op: "ready"; port: number } | Took | Memory;

const send = (answer: Answer) => process.send?.(answer);

// Time blocked on GitHub: the union of the intervals during which a fetch is outstanding, from
// the call until the response headers arrive. Octokit resolves `globalThis.fetch` on every
// request, so this wrapper sees every API call. Counting the union (not the sum) keeps concurrent
// requests from being counted twice. The stand-in writes each small JSON answer in one go, so
// the body is there with the headers.
let inFlight = 0;
let blockedSince = 0;
let blockedMs = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
  if (inFlight++ === 0) blockedSince = performance.now();
  try {
    return await realFetch(...args);
  } finally {
    if (--inFlight === 0) blockedMs += performance.now() - blockedSince;
  }
};

const mode = process.argv[2] as Mode;
const env = {
  ...process.env,
  PORT: String(await freePort()),
  HOST: "127.0.0.1",
  LOG_LEVEL: "error" as const,
  // The driver reads the lanes' final states from the read models; the server listens on
  // 127.0.0.1 only, and a real App's read models are closed unless the operator opens them.
  LANEGATE_API_PUBLIC: "true",
};

// The same-requests app's plans by delivery id. A delivery may arrive before its plan (the plan
// comes over IPC, the delivery over HTTP), so the handler waits for it, but not for ever.
const PLAN_WAIT_MS = 5000;
const plans = new Map<string, { plan: Promise<PlannedRequest[]>; resolve: (p: PlannedRequest[]) => void }>();
function planSlot(id: string) {
  let slot = plans.get(id);
  if (!slot) {
    let resolve: (p: PlannedRequest[]) => void = () => {};
    const plan = new Promise<PlannedRequest[]>((r) => {
      resolve = r;
    });
    slot = { plan, resolve };
    plans.set(id, slot);
  }
  return slot;
}
function planFor(id: string): Promise<PlannedRequest[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no plan for delivery ${id}`)), PLAN_WAIT_MS);
  });
  return Promise.race([planSlot(id).plan, late]).finally(() => {
    clearTimeout(timer);
    plans.delete(id);
  });
}
let mismatches: Mismatch[] = [];
/** The events the bench sends; lanegate handles each, so the baselines handle each too. */
const EVENTS = ["issues", "workflow_dispatch", "workflow_run"] as const;

let stop: () => Promise<void>;
let port: number;
if (mode === "lanegate") {
  countStatements();
  const app = await startLanegate({
    env,
    throttle: false,
    sweepEveryMs: 0,
    reconcileEveryMs: 0,
    reconcileOnStart: false,
    redeliverEveryMs: 0,
  });
  ({ port } = app);
  stop = () => app.stop();
} else if (mode === "same-requests") {
  const mirrorUrl = process.env.BENCH_MIRROR_URL;
  if (!mirrorUrl) throw new Error("the same-requests app needs BENCH_MIRROR_URL");
  const server = await run(
    (app) => {
      app.on([...EVENTS], async (context) => {
        mismatches.push(...(await replay(context.octokit, await planFor(context.id), mirrorUrl)));
      });
    },
    { env, Octokit: ReplayOctokit },
  );
  ({ port } = server);
  stop = () => server.stop();
} else {
  const server = await run(
    (app) => {
      app.on([...EVENTS], async () => {});
    },
    { env },
  );
  ({ port } = server);
  stop = () => server.stop();
}

const gc = (globalThis as { gc?: () => void }).gc;
let cpuMark = process.cpuUsage();

process.on("message", async (request: Request) => {
  if (request.op === "take") {
    const cpu = process.cpuUsage(cpuMark);
    // Between the two readings of the CPU clock: folding the texts is no delivery's cost.
    const statements = takeStatements(request.texts === true);
    cpuMark = process.cpuUsage();
    send({
      op: "took",
      blockedMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      mismatches,
      statements: statements.count,
      ...(request.texts ? { texts: statements.texts } : {}),
    });
    blockedMs = 0;
    mismatches = [];
  } else if (request.op === "plan") {
    planSlot(request.id).resolve(request.plan);
  } else if (request.op === "memory") {
    // Twice: the first pass can leave garbage that only a second pass frees (weak refs, finalizers).
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    // BENCH_HEAP_SNAPSHOT=<dir>: a heap snapshot at every checkpoint, to diff what grew.
    const dir = process.env.BENCH_HEAP_SNAPSHOT;
    if (dir) writeHeapSnapshot(join(dir, `${mode}-${Date.now()}.heapsnapshot`));
    const codeUsed = getHeapSpaceStatistics()
      .filter((space) => space.space_name.startsWith("code_"))
      .reduce((sum, space) => sum + space.space_used_size, 0);
    send({
      op: "memory",
      gc: gc !== undefined,
      rss: m.rss,
      heapUsed: m.heapUsed,
      codeUsed,
    });
  } else {
    await stop();
    process.disconnect();
  }
});
send({ op: "ready", port });
