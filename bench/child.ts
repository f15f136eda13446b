// The driver's handle on a forked bench/server.ts: start it, ask it questions, stop it.
import { type ChildProcess, fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import { type Delivery, deliver } from "../standin/index.ts";
import { LOCAL_SECRET } from "../standin/world.ts";
import type { PlannedRequest } from "./replay.ts";
import type { Answer, Memory, Mode, Request, Took } from "./server.ts";

const SERVER = new URL("./server.ts", import.meta.url).pathname;
const START_TIMEOUT_MS = 30_000;

/** A server's longest round trip: how long, which event, and the how-manieth delivery it was. */
export interface Longest {
  ms: number;
  name: string;
  nth: number;
}

export class Child {
  /** Deliveries this server answered so far. */
  answered = 0;
  longest: Longest = { ms: 0, name: "", nth: 0 };
  private waiting: { resolve: (answer: Answer) => void; reject: (error: Error) => void } | null = null;

  private constructor(
    readonly mode: Mode,
    private readonly proc: ChildProcess,
    readonly webhookUrl: string,
    readonly baseUrl: string,
  ) {
    proc.on("message", (answer: Answer) => {
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.resolve(answer);
    });
    // A server that dies mid-run must fail the run, not leave the driver waiting for ever.
    proc.on("exit", (code) => this.waiting?.reject(new Error(`${mode} server exited with ${code}`)));
  }

  /** `label` tells the CPU profiles of servers run on different stores apart. */
  static async start(mode: Mode, env: Record<string, string>, label = ""): Promise<Child> {
    // The parent runs under tsx, so its execArgv carries tsx's loader; --expose-gc lets the child
    // force a collection before it reports memory.
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server (open it in Chrome DevTools).
    const profile = process.env.BENCH_CPU_PROF
      ? [
          "--cpu-prof",
          `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`,
          `--cpu-prof-name=${mode}${label ? `-${label}` : ""}-${Date.now()}.cpuprofile`,
        ]
      : [];
    const proc = fork(SERVER, [mode], {
      execArgv: [...process.execArgv, "--expose-gc", ...profile],
      env: { ...process.env, ...env },
      // The server's own output (its error log) goes to stderr, with the progress: stdout is the
      // report's, which `--json` must leave parseable.
      stdio: ["ignore", 2, 2, "ipc"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mode} did not start`)), START_TIMEOUT_MS);
      proc.once("exit", (code) => reject(new Error(`${mode} exited with ${code}`)));
      proc.once("message", (answer: Answer) => {
        clearTimeout(timer);
        if (answer.op === "ready") resolve(answer.port);
        else reject(new Error(`${mode} said ${answer.op} before ready`));
      });
    });
    const base = `http://127.0.0.1:${port}`;
    return new Child(mode, proc, `${base}/api/github/webhooks`, base);
  }

  /** POSTs a signed delivery as GitHub does; its status and round trip, the longest kept. */
  async deliver(d: Delivery): Promise<{ status: number; wallMs: number }> {
    const start = performance.now();
    const status = await deliver(this.webhookUrl, LOCAL_SECRET, d);
    const wallMs = performance.now() - start;
    this.answered += 1;
    if (wallMs > this.longest.ms) this.longest = { ms: wallMs, name: d.name, nth: this.answered };
    return { status, wallMs };
  }

  /**
   * Hands the same-requests app the requests to make for a delivery. Not answered: messages keep
   * their order, so a `take` after it is answered only once the plan is in.
   */
  plan(id: string, plan: PlannedRequest[]): void {
    this.proc.send({ op: "plan", id, plan } satisfies Request);
  }

  /** One question at a time: the driver is sequential, so one pending answer is enough. */
  private ask(request: Request): Promise<Answer> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.proc.send(request);
    });
  }

  /** The counters since the last take; `texts`: with the database statements' texts. */
  async take(texts = false): Promise<Took> {
    const answer = await this.ask({ op: "take", texts });
    if (answer.op !== "took") throw new Error(`expected took, got ${answer.op}`);
    return answer;
  }

  async memory(): Promise<Memory> {
    const answer = await this.ask({ op: "memory" });
    if (answer.op !== "memory") throw new Error(`expected memory, got ${answer.op}`);
    return answer;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.proc.once("exit", () => resolve());
      this.proc.send({ op: "stop" } satisfies Request);
    });
  }
}
