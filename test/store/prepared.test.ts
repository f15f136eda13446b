// Every statement a delivery makes is prepared once and run with its values (issue 18): once a
// kind of delivery has been seen, handling it again builds no SQL. Runs in the `app` project on
// SQLite and in the `postgres` one, where prepared queries also move between connections.
import { PgDialect } from "drizzle-orm/pg-core";
import { SQLiteDialect } from "drizzle-orm/sqlite-core";
import { afterEach, expect, it, vi } from "vitest";
import { appendAudits } from "../../src/adapters/store/audit.ts";
import { read, transaction } from "../../src/adapters/store/db.ts";
import { decisionsForRun, insertDecision } from "../../src/adapters/store/runs.ts";
import { approved, dispatch, inputs } from "../support/gate.ts";
import { testStore } from "../support/store.ts";
import { CM_OPW_BODY, createWorld, REPO, type World } from "../support/world.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The SQL texts drizzle builds from here on, whichever dialect builds them; not its transaction
 * control on PostgreSQL (`begin …`, `commit`, `rollback`), which is fixed text it passes through.
 */
function builtStatements(): string[] {
  const built: string[] = [];
  for (const dialect of [SQLiteDialect.prototype, PgDialect.prototype]) {
    const build = dialect.sqlToQuery;
    vi.spyOn(dialect, "sqlToQuery").mockImplementation(function (this: typeof dialect, ...args) {
      const query = build.apply(this, args);
      if (!/^(begin|commit|rollback)\b/.test(query.sql)) built.push(query.sql);
      return query;
    });
  }
  return built;
}

/** An approval issue's life with one gated run: every kind of delivery the bench's mix sends. */
async function lifeOfAnIssue(w: World, body: string) {
  const issue = await approved(w, body);
  const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
  await w.send(w.gh.startRun(REPO, runId));
  await w.send(w.gh.completeRun(REPO, runId));
  await w.send(w.gh.editIssueBody(REPO, issue, `${body}\n`, "mia"));
  await w.send(w.gh.editIssueBody(REPO, issue, `${body}\n\n`, "tara"));
  await w.send(w.gh.closeIssue(REPO, issue, "olivia"));
}

it("builds no SQL for a kind of delivery it has handled before", async () => {
  const w = await createWorld();
  await lifeOfAnIssue(w, CM_OPW_BODY);
  const built = builtStatements();
  await lifeOfAnIssue(w, CM_OPW_BODY);
  expect(built).toEqual([]);
});

it("runs a prepared query on the transaction's own connection", async () => {
  const db = await testStore();
  const decision = {
    repo: REPO,
    runId: 7,
    attempt: 1,
    lane: "cm/testing",
    request: { inputs: { context: "cm" } },
    checks: [],
    allowed: false,
    reason: "unknown_lane",
    decision: null,
    issueNumber: null,
    blockSha: null,
    decidedAt: "2026-12-03T10:00:00Z",
    checkRunId: null,
  };
  const seen = await transaction(db, async (q) => {
    await insertDecision(q, decision);
    const inside = await decisionsForRun(q, REPO, 7);
    return inside.map((d) => [d.lane, d.request]);
  });
  // The JSON column went through its encoder and reads back as written, on both drivers.
  expect(seen).toEqual([["cm/testing", { inputs: { context: "cm" } }]]);
  expect((await read(db, (q) => decisionsForRun(q, REPO, 7))).length).toBe(1);
});

it("writes a batch of any size with one statement prepared per size", async () => {
  const db = await testStore();
  const entry = (n: number) => ({
    repo: REPO,
    deliveryId: null,
    event: "issues.edited",
    actor: "olivia",
    subject: `#1 lane/${n}`,
    change: "retired",
    at: "2026-12-03T10:00:00Z",
  });
  const built = builtStatements();
  for (const size of [3, 1, 3, 50]) {
    await transaction(db, (q) =>
      appendAudits(
        q,
        Array.from({ length: size }, (_, i) => entry(i)),
      ),
    );
  }
  expect(built.length).toBe(3);
});
