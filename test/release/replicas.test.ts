// Two replicas on one PostgreSQL database, as separate processes with no balancer in front: the
// contract's promises across replicas (at most one run allowed per lane, a delivery applied once
// whichever replica receives it, timers run by one replica at a time) under deliveries that
// arrive at both at once, and a replica killed in the middle of a burst.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { postgresForTests } from "../support/postgres.ts";
import { killGroup, until } from "./process.ts";
import {
  approveLane,
  burst,
  type CheckSeen,
  checksOf,
  dispatchOnLane,
  firstClaims,
  holdAnswers,
  type Replica,
  type Stand,
  startStand,
} from "./replicas.ts";

const postgres = await postgresForTests();

/**
 * 200, or 202: Probot answers 202 when a handler outlasts nine seconds, and goes on with it (GitHub
 * counts both as delivered).
 */
const accepted = (status: number) => status === 200 || status === 202;

/**
 * The check runs of each run, once every delivery's handler has finished (no delivery is still
 * claimed: a 202 is answered before its handler ends) and every run has one.
 */
// A decision a killed replica made and did not write waits for the sweep of the survivor, which
// leaves it to its delivery for a claim's length (DELIVERY_CLAIM_MS, 30 s) before writing it.
async function decided(stand: Stand, runs: { runId: number }[]): Promise<CheckSeen[][]> {
  return until(
    "every handler done and a check run for every run",
    async () => {
      const claimed = await stand.sql("select id from deliveries where state = 'claimed'");
      const checks = runs.map((r) => checksOf(stand, r.runId));
      return claimed.length === 0 && checks.every((c) => c.length > 0) ? checks : undefined;
    },
    60_000,
  );
}

/** What the store holds, printed when a test fails. */
const FAILURE_DUMP = [
  "select run_id, status, dispatch_id, join_problem from workflow_runs order by run_id",
  "select id, run_id, delivery_id, received_at from dispatches order by id",
  "select id, run_id, allowed, reason, decided_at, check_run_id, write_error from decisions order by id",
  "select id, run_id, lane, state from operations order by id",
  "select id, event, state, holder, applied_at from deliveries order by applied_at",
  "select * from job_leases",
];

let stand: Stand | undefined;
afterEach(async (context) => {
  // A failure is read with what each replica logged.
  if (context.task.result?.state === "fail" && stand) {
    for (const r of stand.replicas) console.log(`replica ${r.name}:\n${r.process.output()}`);
    for (const query of FAILURE_DUMP)
      console.log(query, JSON.stringify(await stand.sql(query).catch((e) => String(e))));
  }
  await stand?.stop();
  stand = undefined;
});

describe.skipIf(postgres.skip)("two replicas on one PostgreSQL database", () => {
  beforeAll(() => {
    if (postgres.problem) throw new Error(postgres.problem);
  });

  it("allows exactly one of twenty runs of one lane dispatched to both replicas at once", async () => {
    stand = await startStand(2);
    const [a, b] = stand.replicas;
    if (!a || !b) throw new Error("two replicas expected");
    await approveLane(stand, a);
    const runs = Array.from({ length: 20 }, () => dispatchOnLane(stand as Stand));
    // Run i's dispatch goes to one replica and its `requested` to the other, so every join is
    // made across replicas; each replica gets twenty deliveries, all in flight together.
    const deliveries = runs.flatMap((r) => [r.dispatch, r.requested]);
    const statuses = await burst(stand, deliveries, (i) => ((i + Math.floor(i / 2)) % 2 === 0 ? a : b));
    expect(statuses.filter((s) => !accepted(s))).toEqual([]);
    const checks = await decided(stand, runs);
    expect(checks.map((c) => c.length)).toEqual(runs.map(() => 1));
    const seen = checks.map((c) => c[0]);
    expect(seen.filter((c) => c?.conclusion === "success")).toEqual([
      { conclusion: "success", reason: "ok" },
    ]);
    expect(seen.filter((c) => c?.conclusion === "failure")).toEqual(
      Array.from({ length: 19 }, () => ({ conclusion: "failure", reason: "lane_busy" })),
    );
    // Each run joined its own dispatch: none claimed twice, none left over.
    const joins = await stand.sql<{ runs: number; dispatches: number }>(
      "select count(distinct run_id)::int as runs, count(distinct dispatch_id)::int as dispatches from workflow_runs",
    );
    expect(joins).toEqual([{ runs: 20, dispatches: 20 }]);
    const unclaimed = await stand.sql("select id from dispatches where run_id is null");
    expect(unclaimed).toEqual([]);
    const holding = await stand.sql(
      "select run_id from operations where state in ('requested', 'in_flight', 'stale')",
    );
    expect(holding).toHaveLength(1);
    const decisions = await stand.sql<{ run_id: number; n: number }>(
      "select run_id, count(*)::int as n from decisions group by run_id",
    );
    expect(decisions.map((d) => d.n)).toEqual(runs.map(() => 1));
  }, 120_000);

  it("applies once a delivery sent to both replicas at the same moment", async () => {
    stand = await startStand(2);
    const [a, b] = stand.replicas;
    if (!a || !b) throw new Error("two replicas expected");
    await approveLane(stand, a);
    const runs = Array.from({ length: 5 }, () => dispatchOnLane(stand as Stand));
    for (const r of runs) {
      // Each half, with its one X-GitHub-Delivery id, to both replicas together. One applies it;
      // the other finds it applied (200) or still being applied (503: GitHub would keep it failed
      // and ask again, in case the one applying it died).
      for (const d of [r.dispatch, r.requested]) {
        const statuses = await Promise.all([stand.send(a, d), stand.send(b, d)]);
        expect(statuses.filter(accepted).length).toBeGreaterThanOrEqual(1);
        expect(statuses.filter((s) => !accepted(s))).toEqual(statuses.filter((s) => s === 503));
      }
    }
    expect((await decided(stand, runs)).map((c) => c.length)).toEqual(runs.map(() => 1));
    const decisions = await stand.sql<{ n: number }>("select count(*)::int as n from decisions");
    expect(decisions).toEqual([{ n: runs.length }]);
    const dispatches = await stand.sql<{ n: number }>("select count(*)::int as n from dispatches");
    expect(dispatches).toEqual([{ n: runs.length }]);
    const applied = await stand.sql<{ state: string; n: number }>(
      "select state, count(*)::int as n from deliveries where event like 'workflow_%' group by state",
    );
    expect(applied).toEqual([{ state: "applied", n: runs.length * 2 }]);
    const allowed = runs
      .flatMap((r) => checksOf(stand as Stand, r.runId))
      .filter((c) => c.conclusion === "success");
    expect(allowed).toHaveLength(1);
  }, 120_000);

  it("finishes a burst on the survivor when a replica is killed in the middle, and hands it its timers", async () => {
    const period = 3_000;
    // Jitter of two processes' timers on a loaded machine: a tick is never exactly on time.
    const slack = 1_500;
    stand = await startStand(2, { sweepMs: period, reconcileMs: period });
    const [a] = stand.replicas;
    if (!a) throw new Error("two replicas expected");
    await approveLane(stand, a);
    // The reconcile's first call held: the replica whose run it is keeps the reconcile's lease
    // until it dies, so the hand-over waits for the lease to run out, not only for a tick.
    const held = holdAnswers(stand, "GET", "/app/installations");
    const leaseHolder = await until(
      "a replica's reconcile held with its lease",
      async () => {
        const now = new Date().toISOString();
        const rows = await stand?.sql<{ holder: string }>(
          "select holder from job_leases where job = 'reconcile' and expires_at > $1",
          [now],
        );
        return held.waiting > 0 ? rows?.[0]?.holder : undefined;
      },
      4 * period,
    );
    const victim = stand.replicas.find((r) => r.holder === leaseHolder) as Replica;
    const survivor = stand.replicas.find((r) => r !== victim) as Replica;

    const runs = Array.from({ length: 20 }, () => dispatchOnLane(stand as Stand));
    const deliveries = runs.flatMap((r) => [r.dispatch, r.requested]);
    const to = (i: number) => ((i + Math.floor(i / 2)) % 2 === 0 ? victim : survivor);
    // All forty in flight; once a quarter are answered, the victim is killed with the rest of
    // its twenty still open (or not yet read).
    let answered = 0;
    let killedAt = 0;
    const statuses = await Promise.all(
      deliveries.map(async (d, i) => {
        const status = await stand?.send(to(i), d);
        answered += 1;
        if (answered === 10) {
          killGroup(victim.process.child.pid);
          killedAt = Date.now();
        }
        return status ?? 0;
      }),
    );
    await victim.process.exited;
    // The victim's leases as it left them: how long the survivor must wait for each job.
    const left = await stand.sql<{ job: string; expires_at: string }>(
      "select job, expires_at from job_leases where holder = $1",
      [victim.holder],
    );
    held.release();
    const handedOver = firstClaims(stand, survivor.holder, ["sweep", "reconcile"], killedAt);
    handedOver.catch(() => {}); // awaited below; a test that failed before must not leave it unhandled

    // GitHub redelivers what the dead replica did not answer (the survivor is all that is left).
    const unanswered = deliveries.filter((_, i) => !accepted(statuses[i] ?? 0));
    expect(unanswered.length).toBeGreaterThan(0);
    // A 503 (the dead replica's claim still holds) is asked again a second later, as a recovery would.
    for (const d of unanswered)
      await until(
        `the survivor to take ${d.name} ${d.id}`,
        async () => {
          if (accepted(await (stand as Stand).send(survivor, d))) return true;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          return undefined;
        },
        60_000,
      );

    const checks = await decided(stand, runs);
    const decisions = await stand.sql<{ n: number }>(
      "select count(*)::int as n from decisions group by run_id",
    );
    expect(decisions.map((d) => d.n)).toEqual(runs.map(() => 1));
    // A check run the victim wrote but did not mark written is written again by the sweep: the
    // same decision twice, never two decisions.
    for (const c of checks) expect(new Set(c.map((x) => JSON.stringify(x))).size).toBe(1);
    const seen = checks.map((c) => c[0]);
    expect(seen.filter((c) => c?.conclusion === "success")).toEqual([
      { conclusion: "success", reason: "ok" },
    ]);
    expect(seen.filter((c) => c?.conclusion === "failure")).toEqual(
      Array.from({ length: 19 }, () => ({ conclusion: "failure", reason: "lane_busy" })),
    );
    const holding = await stand.sql(
      "select run_id from operations where state in ('requested', 'in_flight', 'stale')",
    );
    expect(holding).toHaveLength(1);

    // Each timer job the victim held when it died moves to the survivor at its first tick after
    // the victim's lease ran out, and a lease lasts one period. (A job the survivor itself was
    // running at that moment needs no hand-over: its next claim comes when its own run ends.)
    const taken = await handedOver;
    const victimsJobs = left.filter((l) => ["sweep", "reconcile"].includes(l.job));
    expect(victimsJobs.map((l) => l.job)).toContain("reconcile");
    for (const { job, expires_at } of victimsJobs) {
      const leaseEnd = Math.max(killedAt, Date.parse(expires_at));
      expect(leaseEnd - killedAt, job).toBeLessThanOrEqual(period + slack);
      expect((taken.get(job) ?? Number.POSITIVE_INFINITY) - leaseEnd, job).toBeLessThanOrEqual(
        period + slack,
      );
    }
  }, 180_000);
});
