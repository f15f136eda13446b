// Two replicas on one PostgreSQL database, as separate processes with no balancer in front: the
// contract's promises across replicas (at most one run allowed per lane, a delivery applied once
// whichever replica receives it, timers run by one replica at a time) under deliveries that
// arrive at both at once, and a replica killed in the middle of a burst.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { postgresForTests } from "../support/postgres.ts";
import { until } from "./process.ts";
import {
  approveLane,
  burst,
  type CheckSeen,
  checksOf,
  dispatchOnLane,
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
async function decided(stand: Stand, runs: { runId: number }[]): Promise<CheckSeen[][]> {
  return until("every handler done and a check run for every run", async () => {
    const claimed = await stand.sql("select id from deliveries where state = 'claimed'");
    const checks = runs.map((r) => checksOf(stand, r.runId));
    return claimed.length === 0 && checks.every((c) => c.length > 0) ? checks : undefined;
  });
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
      // Each half, with its one X-GitHub-Delivery id, to both replicas together.
      for (const d of [r.dispatch, r.requested]) {
        const statuses = await Promise.all([stand.send(a, d), stand.send(b, d)]);
        expect(statuses.filter(accepted)).toHaveLength(2);
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
});
