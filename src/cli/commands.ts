// The CLI's commands. Each reads the store through the same queries as the HTTP read models,
// prints a table for people or JSON with --json, and returns an exit code.

import { getPrivateKey } from "@probot/get-private-key";
import { Probot } from "probot";
import { type Db, DEFAULT_DATABASE_URL, openDatabase, transaction } from "../adapters/store/db.ts";
import {
  auditPage,
  laneViews,
  oneLaneView,
  operationsList,
  operationView,
  repositoryView,
} from "../adapters/store/read.ts";
import { parseLaneId } from "../core/domain.ts";
import { describeChange } from "../core/lanes/grant-plan.ts";
import { simulate } from "../pipelines/gate/simulate.ts";
import { reconcileAll } from "../pipelines/lanes/reconcile.ts";
import { clearOperation } from "../pipelines/operations.ts";
import { inventoryText, operationText } from "./evidence.ts";
import { table } from "./table.ts";

type Values = Record<string, string | boolean | undefined>;
type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

export interface Command {
  name: string;
  args: string[];
  summary: string;
  help: string;
  options: OptionSpec;
  run(args: string[], values: Values): Promise<number>;
}

const COMMON = `Options:
  --db <url>   the database (default: $DATABASE_URL or ${DEFAULT_DATABASE_URL})
  --json       print JSON instead of a table
  -h, --help   show this help`;

function database(values: Values): Db {
  const url = typeof values.db === "string" ? values.db : (process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  return openDatabase(url);
}

function repoArg(raw: string): string {
  if (!/^[\w.-]+\/[\w.-]+$/.test(raw)) throw new Error(`"${raw}" is not owner/repo`);
  return raw.toLowerCase();
}

const print = (values: Values, json: unknown, text: () => string) =>
  console.log(values.json ? JSON.stringify(json, null, 2) : text());

const lanes: Command = {
  name: "lanes",
  args: ["owner/repo"],
  summary: "every lane known from the config or an approval issue",
  help: `Usage: lanegate lanes <owner/repo> [--json]\n\nLists every lane of the repository with its state.\n\n${COMMON}`,
  options: {},
  async run([raw = ""], values) {
    const repo = repoArg(raw);
    const db = database(values);
    const views = laneViews(db, repo);
    const config = repositoryView(db, repo);
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
        l.grant?.approver ?? "-",
        l.grant?.expires_at ?? "-",
        l.reason,
      ]);
      return `${repo}  ${head}\n\n${table(["LANE", "STATE", "AUTHORITY", "SOURCES", "ISSUE", "APPROVER", "EXPIRES", "WHY"], rows)}`;
    });
    return 0;
  },
};

const lane: Command = {
  name: "lane",
  args: ["owner/repo", "context/instance"],
  summary: "one lane with its whole grant history",
  help: `Usage: lanegate lane <owner/repo> <context/instance> [--json]\n\nShows one lane, where each part of it comes from, and every grant it ever had.\n\n${COMMON}`,
  options: {},
  async run([rawRepo = "", rawLane = ""], values) {
    const repo = repoArg(rawRepo);
    const id = parseLaneId(rawLane);
    if (!id) throw new Error(`"${rawLane}" is not a lane id like cm/testing`);
    const view = oneLaneView(database(values), repo, id.id);
    print(values, view, () => {
      const from = Object.entries(view.from)
        .map(([k, v]) => `${k} from ${v}`)
        .join(", ");
      const history = view.history.map((h) => [
        `#${h.issue}`,
        h.state,
        h.approver ?? "-",
        h.block_sha256?.slice(0, 12) ?? "-",
        h.started_at,
        h.ended_at ?? "-",
        h.reason,
      ]);
      return [
        `${view.lane}: ${view.state} (${view.reason})`,
        `authority ${view.data_authority}; sources ${view.allowed_rebuild_sources.join(", ") || "none"}; upstream ${view.upstream_source ?? "none"}`,
        from,
        inventoryText(view.inventory),
        "",
        history.length
          ? table(["ISSUE", "STATE", "APPROVER", "BLOCK", "STARTED", "ENDED", "WHY"], history)
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
  help: `Usage: lanegate audit <owner/repo> [--limit N] [--before ID] [--json]\n\nPrints the audit log newest first; --before pages back from an entry id.\n\n${COMMON}`,
  options: { limit: { type: "string" }, before: { type: "string" } },
  async run([raw = ""], values) {
    const limit = Number(values.limit ?? 50);
    const before = values.before === undefined ? undefined : Number(values.before);
    if (!Number.isInteger(limit) || limit < 1) throw new Error("--limit takes a positive whole number");
    const page = auditPage(database(values), repoArg(raw), limit, before);
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
      return `${table(["ID", "AT", "EVENT", "ACTOR", "SUBJECT", "CHANGE"], rows)}${more}`;
    });
    return 0;
  },
};

const reconcile: Command = {
  name: "reconcile",
  args: [],
  summary: "rebuild every repository's lanes from GitHub now",
  help: `Usage: lanegate reconcile [--dry-run] [--json]\n\nReads every approval issue of every repository of every installation that has a config,\nand brings the lane records in line with GitHub. Needs the app's credentials:\nAPP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, and GHE_HOST/GHE_PROTOCOL for GitHub Enterprise.\n\n  --dry-run   read GitHub and print the grant changes, but change nothing\n\n${COMMON}`,
  options: { "dry-run": { type: "boolean" } },
  async run(_args, values) {
    const appId = Number(process.env.APP_ID);
    const privateKey = getPrivateKey() ?? undefined;
    if (!appId || !privateKey) throw new Error("APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) are required");
    const host = process.env.GHE_HOST;
    const baseUrl = host ? `${process.env.GHE_PROTOCOL ?? "https"}://${host}/api/v3` : undefined;
    const probot = new Probot({ appId, privateKey, baseUrl, logLevel: "warn" });
    const db = database(values);
    const log = {
      info: (m: string) => !values.json && console.error(m),
      warn: (m: string) => console.error(m),
    };
    const dryRun = values["dry-run"] === true;
    const report = await reconcileAll({ db, appId, now: () => new Date(), log }, probot, { dryRun });
    print(values, report, () => {
      const verb = dryRun ? "would change" : "changed";
      const lines = report.plans.flatMap(({ repo, changes }) =>
        changes.map((c) => `${repo}#${c.issue} ${c.lane}: ${describeChange(c)}`),
      );
      const summary = `${dryRun ? "planned" : "reconciled"} ${report.repositories} repositories, ${report.issues} issues; ${lines.length} grant changes ${verb}; ${report.failures.length} failures`;
      return [...lines, summary].join("\n");
    });
    return report.failures.length ? 1 : 0;
  },
};

const operations: Command = {
  name: "operations",
  args: ["owner/repo", "[id]"],
  summary: "gated operations, newest first, or one with its phases and probes; --clear ends a stuck one",
  help: `Usage: lanegate operations <owner/repo> [id] [--limit N] [--clear ID --reason TEXT] [--json]

Lists the repository's operations (allowed runs) newest first. With an id, shows that operation:
its decision, its run's phases, and the evidence of its result artifact with every probe. An operation whose run never
reported back goes stale and keeps its lane blocked; once you have checked the run yourself,
--clear ID ends it, with --reason recorded in the audit log.

${COMMON}`,
  options: { limit: { type: "string" }, clear: { type: "string" }, reason: { type: "string" } },
  async run([raw = "", rawId], values) {
    const repo = repoArg(raw);
    const db = database(values);
    if (rawId !== undefined) {
      const view = operationView(db, repo, Number(rawId));
      if (!view) throw new Error(`no operation ${rawId} in ${repo}`);
      print(values, view, () => operationText(view));
      return 0;
    }
    if (values.clear !== undefined) {
      const id = Number(values.clear);
      const reason = typeof values.reason === "string" ? values.reason.trim() : "";
      if (!Number.isInteger(id)) throw new Error("--clear takes an operation id");
      if (!reason) throw new Error("--clear needs --reason: the audit log records why the lane was freed");
      const by = process.env.USER ?? "cli";
      const op = transaction(db, (q) => clearOperation(q, repo, id, by, reason, new Date().toISOString()));
      print(values, op, () => `operation ${id} on ${op.lane} cleared by ${by}: ${reason}`);
      return 0;
    }
    const list = operationsList(db, repo, Number(values.limit ?? 50));
    print(values, { operations: list }, () =>
      list.length === 0
        ? "no operations yet"
        : table(
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

const simulateCommand: Command = {
  name: "simulate",
  args: ["owner/repo", "context/instance"],
  summary: "run the gate's decision on the stored facts and print every check",
  help: `Usage: lanegate simulate <owner/repo> <context/instance> --source <s> --confirmation "<phrase>" [--json]

Asks the gate whether a run dispatched now would be allowed, using the stored lane records,
proofs and operations. Nothing is written. Exits 0 when it would be allowed, 1 when refused.

${COMMON}`,
  options: { source: { type: "string" }, confirmation: { type: "string" } },
  async run([rawRepo = "", rawLane = ""], values) {
    const repo = repoArg(rawRepo);
    const id = parseLaneId(rawLane);
    if (!id) throw new Error(`"${rawLane}" is not a lane id like cm/testing`);
    if (typeof values.confirmation !== "string")
      throw new Error("--confirmation is required, as the operator would type it");
    const source = typeof values.source === "string" ? values.source : "empty";
    const deps = {
      db: database(values),
      appId: 0,
      now: () => new Date(),
      log: { info: () => undefined, warn: (m: string) => console.error(m) },
    };
    const decision = await simulate(deps, repo, id.id, source, values.confirmation);
    print(values, decision, () => {
      const rows = decision.checks.map((c, i) => [
        String(i + 1),
        c.name,
        c.ok ? "pass" : "FAIL",
        c.code,
        c.message,
      ]);
      return `${decision.title}\n\n${table(["#", "CHECK", "RESULT", "CODE", "WHY"], rows)}`;
    });
    return decision.allowed ? 0 : 1;
  },
};

export const COMMANDS: Command[] = [lanes, lane, operations, simulateCommand, audit, reconcile];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: lanegate <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun lanegate <command> --help for a command's options.`;
}
