// The commands that read the records: the same queries as the HTTP read models, as tables for
// people or JSON with --json. They never create, migrate or change a database, except
// `operations --clear`, which ends one stuck operation and says so in the audit log.
import { type Db, read, transaction } from "../adapters/store/db.ts";
import {
  auditPage,
  laneViews,
  oneLaneView,
  operationsList,
  operationView,
  repositoryView,
} from "../adapters/store/read.ts";
import { parseLaneId, REBUILD_SOURCES } from "../core/domain.ts";
import { simulate } from "../pipelines/gate/simulate.ts";
import { clearOperation } from "../pipelines/operations.ts";
import { inventoryText, operationText } from "./evidence.ts";
import {
  type Command,
  database,
  grid,
  positiveInt,
  print,
  repoArg,
  UsageError,
  type Values,
} from "./spec.ts";

function laneArg(raw: string): string {
  const id = parseLaneId(raw);
  if (!id) throw new UsageError(`"${raw}" is not a lane id like cm/testing`);
  return id.id;
}

/**
 * Runs a command on the database and closes it after, also when the command fails: an open
 * PostgreSQL pool would keep the process alive until its idle connections time out.
 */
async function withDatabase<T>(values: Values, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await database(values);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The states in which an operation holds its lane (the single-flight index covers the same). */
const HOLDING = new Set(["requested", "in_flight", "stale"]);

const lanes: Command = {
  name: "lanes",
  args: ["owner/repo"],
  summary: "every lane known from the config or an approval issue",
  description: "Lists every lane of the repository with its state.",
  options: {},
  async run([raw = ""], values) {
    const repo = repoArg(raw);
    const { views, config } = await withDatabase(values, (db) =>
      read(db, async (q) => ({ views: await laneViews(q, repo), config: await repositoryView(q, repo) })),
    );
    print(values, { repository: repo, config, lanes: views }, () => {
      const head = config
        ? `config: ${config.status}${config.errors.length ? ` (${config.errors.join("; ")})` : ""}`
        : "config: never loaded (no delivery or reconcile has reached this repository yet)";
      const rows = views.map((l) => [
        l.lane,
        l.state,
        l.data_authority,
        l.allowed_rebuild_sources.join(",") || "-",
        l.grant ? `#${l.grant.issue}` : "-",
        approversOf(l.grant),
        l.grant?.expires_at ?? "-",
        l.reason,
      ]);
      const header = ["LANE", "STATE", "AUTHORITY", "SOURCES", "ISSUE", "APPROVER", "EXPIRES", "WHY"];
      return `${repo}  ${head}\n\n${grid(values, header, rows)}`;
    });
    return 0;
  },
};

const lane: Command = {
  name: "lane",
  args: ["owner/repo", "context/instance"],
  summary: "one lane: its grant history and the operation holding it",
  description:
    "Shows one lane, where each part of it comes from, the operation holding it, and every grant it ever had.",
  options: {},
  async run([rawRepo = "", rawLane = ""], values) {
    const repo = repoArg(rawRepo);
    const id = laneArg(rawLane);
    const view = await withDatabase(values, (db) => read(db, (q) => oneLaneView(q, repo, id)));
    const holding = view.operations.find((op) => HOLDING.has(op.state)) ?? null;
    print(values, { ...view, holding_operation: holding }, () => {
      const from = Object.entries(view.from)
        .map(([k, v]) => `${k} from ${v}`)
        .join(", ");
      const held = holding
        ? `held by operation ${holding.id} (${holding.state}, run ${holding.run_id}#${holding.run_attempt}, lease until ${holding.lease_expires_at})`
        : "no operation holds it";
      const history = view.history.map((h) => [
        `#${h.issue}`,
        h.state,
        approversOf(h),
        h.block_sha256?.slice(0, 12) ?? "-",
        h.started_at,
        h.ended_at ?? "-",
        h.reason,
      ]);
      return [
        `${view.lane}: ${view.state} (${view.reason})`,
        `authority ${view.data_authority}; sources ${view.allowed_rebuild_sources.join(", ") || "none"}; upstream ${view.upstream_source ?? "none"}`,
        from,
        held,
        inventoryText(view.inventory),
        "",
        history.length
          ? grid(values, ["ISSUE", "STATE", "APPROVER", "BLOCK", "STARTED", "ENDED", "WHY"], history)
          : "no grants yet",
      ].join("\n");
    });
    return 0;
  },
};

const audit: Command = {
  name: "audit",
  args: ["owner/repo"],
  summary: "the audit log, newest first",
  description: "Prints the audit log newest first; --before pages back from an entry id.",
  options: {
    limit: { type: "string", value: "n", description: "how many entries", default: "50" },
    before: { type: "string", value: "id", description: "only entries older than this id" },
  },
  async run([raw = ""], values) {
    const repo = repoArg(raw);
    const limit = positiveInt(values, "limit", 50) ?? 50;
    const before = positiveInt(values, "before");
    const page = await withDatabase(values, (db) => read(db, (q) => auditPage(q, repo, limit, before)));
    print(values, page, () => {
      const rows = page.entries.map((e) => [
        String(e.id),
        e.at,
        e.event,
        e.actor ?? "-",
        e.subject,
        e.change,
      ]);
      const more = page.next_before ? `\n(older entries: --before ${page.next_before})` : "";
      return `${grid(values, ["ID", "AT", "EVENT", "ACTOR", "SUBJECT", "CHANGE"], rows)}${more}`;
    });
    return 0;
  },
};

const operations: Command = {
  name: "operations",
  args: ["owner/repo", "[id]"],
  summary: "gated operations, newest first, or one with its phases and probes; --clear ends a stuck one",
  description: `Lists the repository's operations (allowed runs) newest first. With an id, shows that operation:
its decision, its run's phases, and the evidence of its result artifact with every probe. An
operation whose run never reported back goes stale and keeps its lane blocked; once you have checked the run yourself,
--clear ID ends it, with --reason recorded in the audit log.`,
  options: {
    limit: { type: "string", value: "n", description: "how many operations", default: "50" },
    clear: { type: "string", value: "id", description: "end this stuck operation (needs --reason)" },
    reason: { type: "string", value: "text", description: "why it is cleared, for the audit log" },
  },
  async run([raw = "", rawId], values) {
    const repo = repoArg(raw);
    const limit = positiveInt(values, "limit", 50) ?? 50;
    if (rawId !== undefined) return showOperation(repo, rawId, values);
    const id = positiveInt(values, "clear");
    const reason = typeof values.reason === "string" ? values.reason.trim() : "";
    if (id !== undefined && !reason)
      throw new UsageError("--clear needs --reason: the audit log records why the lane was freed");
    if (id !== undefined) return withDatabase(values, (db) => clear(db, repo, id, reason, values));
    const list = await withDatabase(values, (db) => read(db, (q) => operationsList(q, repo, limit)));
    print(values, { operations: list }, () =>
      list.length === 0
        ? "no operations yet"
        : grid(
            values,
            ["ID", "LANE", "STATE", "SOURCE", "RUN", "ISSUE", "OUTCOME", "STARTED", "LEASE UNTIL"],
            list.map((o) => [
              String(o.id),
              o.lane,
              o.state,
              o.source,
              `${o.run_id}#${o.run_attempt}`,
              o.approval_issue ? `#${o.approval_issue}` : "-",
              o.outcome ?? "-",
              o.started_at,
              o.lease_expires_at,
            ]),
          ),
    );
    return 0;
  },
};

async function showOperation(repo: string, rawId: string, values: Values) {
  if (!/^[1-9][0-9]*$/.test(rawId)) throw new UsageError(`"${rawId}" is not an operation id`);
  const view = await withDatabase(values, (db) => read(db, (q) => operationView(q, repo, Number(rawId))));
  if (!view) throw new Error(`no operation ${rawId} in ${repo}`);
  print(values, view, () => operationText(view));
  return 0;
}

async function clear(db: Db, repo: string, id: number, reason: string, values: Values) {
  const by = process.env.USER ?? "cli";
  const op = await transaction(db, (q) => clearOperation(q, repo, id, by, reason, new Date().toISOString()));
  print(values, op, () => `operation ${id} on ${op.lane} cleared by ${by}: ${reason}`);
  return 0;
}

const simulateCommand: Command = {
  name: "simulate",
  args: ["owner/repo", "context/instance"],
  summary: "run the gate's decision on the stored facts and print every check",
  description: `Asks the gate whether a run dispatched now would be allowed, using the stored lane records,
proofs and operations. Nothing is written. Exits 0 when it would be allowed, 1 when refused.`,
  options: {
    source: { type: "string", value: "s", description: REBUILD_SOURCES.join(" | "), default: "empty" },
    confirmation: {
      type: "string",
      value: "phrase",
      description: "the phrase as the operator would type it (required)",
    },
  },
  async run([rawRepo = "", rawLane = ""], values) {
    const repo = repoArg(rawRepo);
    const id = laneArg(rawLane);
    const source = values.source ?? "empty";
    if (typeof source !== "string" || !(REBUILD_SOURCES as readonly string[]).includes(source))
      throw new UsageError(`--source takes ${REBUILD_SOURCES.join(", ")}, not "${String(source)}"`);
    const confirmation = values.confirmation;
    if (typeof confirmation !== "string")
      throw new UsageError("--confirmation is required, as the operator would type it");
    const decision = await withDatabase(values, async (db) => {
      if (!(await read(db, (q) => repositoryView(q, repo)))) return null;
      const deps = {
        db,
        appId: 0,
        now: () => new Date(),
        log: { info: () => undefined, warn: (m: string) => console.error(m) },
      };
      return simulate(deps, repo, id, source, confirmation);
    });
    if (!decision) {
      console.error(
        `lanegate has never seen ${repo}: no delivery or reconcile has reached it, so nothing can be decided`,
      );
      return 1;
    }
    print(values, decision, () => {
      const rows = decision.checks.map((c, i) => [
        String(i + 1),
        c.name,
        c.ok ? "pass" : "FAIL",
        c.code,
        c.message,
      ]);
      return `${decision.title}\n\n${grid(values, ["#", "CHECK", "RESULT", "CODE", "WHY"], rows)}`;
    });
    return decision.allowed ? 0 : 1;
  },
};

export const READ_COMMANDS: Command[] = [lanes, lane, operations, simulateCommand, audit];

/** The approver, or with more than one required, `k/N: a, b`. */
function approversOf(
  grant: { approver: string | null; approvals: { required: number; by: string[] } | null } | null,
): string {
  const counted = grant?.approvals;
  if (!counted || counted.required <= 1) return grant?.approver ?? "-";
  return `${counted.by.length}/${counted.required}: ${counted.by.join(", ") || "-"}`;
}
