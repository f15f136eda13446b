// The commands that change things: migrate (the only one besides the server that migrates),
// backup (an online copy), and reconcile (rebuilds the records from GitHub).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { getPrivateKey } from "@probot/get-private-key";
import { Probot } from "probot";
import {
  databasePath,
  isPostgresUrl,
  openDatabase,
  openExistingStore,
  printableUrl,
  SqliteDb,
} from "../adapters/store/db.ts";
import { migratePostgres } from "../adapters/store/pg.ts";
import { describeChange } from "../core/lanes/grant-plan.ts";
import { reconcileAll } from "../pipelines/lanes/reconcile.ts";
import { type Command, database, databaseUrl, print, UsageError } from "./spec.ts";

const migrate: Command = {
  name: "migrate",
  args: [],
  summary: "create the database, or bring it to this version's schema",
  description: `Applies the migrations this version of lanegate ships; creates the database if there is none.
The server does the same when it starts. Back up first: lanegate backup <file>.
With a postgres:// URL it applies the PostgreSQL migrations to an existing database (create
the database first), one process at a time: replicas starting together wait for each other.`,
  options: {},
  async run(_args, values) {
    const url = databaseUrl(values);
    if (isPostgresUrl(url)) {
      const applied = await migratePostgres(url);
      print(
        values,
        { database: printableUrl(url), created: false, applied },
        () => `${printableUrl(url)}: ${applied} migrations applied; the schema is current`,
      );
      return 0;
    }
    const existed = existsSync(databasePath(url));
    let pending: number | null = null;
    if (existed) {
      const before = await openExistingStore(url);
      pending = await before.pendingMigrations();
      await before.close();
    }
    await openDatabase(url).close();
    const what = existed ? `${pending} migrations applied` : "created";
    print(
      values,
      { database: databasePath(url), created: !existed, applied: pending },
      () => `${databasePath(url)}: ${what}; the schema is current`,
    );
    return 0;
  },
};

const backup: Command = {
  name: "backup",
  args: ["file"],
  summary: "copy the database while the service runs",
  description: `Writes a consistent copy of the database to <file> with SQLite's online backup, safe while
the server is running. It never overwrites a file. To restore, see docs/deploy.md.
On PostgreSQL the backup is pg_dump's (docs/deploy.md); this command says so and exits 2.`,
  options: {},
  async run([file = ""], values) {
    const target = resolve(file);
    if (existsSync(target)) {
      console.error(`lanegate backup: ${target} exists; choose a new file`);
      return 1;
    }
    const url = databaseUrl(values);
    if (isPostgresUrl(url))
      throw new UsageError(
        `${printableUrl(url)} is PostgreSQL: back it up with pg_dump --format=custom (see docs/deploy.md, "Backups")`,
      );
    const db = await database(values);
    if (!(db instanceof SqliteDb)) throw new UsageError(`${db.name} is not a SQLite database`);
    await db.client.backup(target);
    await db.close();
    print(values, { backup: target }, () => `backed up ${databasePath(databaseUrl(values))} to ${target}`);
    return 0;
  },
};

const reconcile: Command = {
  name: "reconcile",
  args: [],
  summary: "rebuild every repository's lanes from GitHub now",
  description: `Reads every approval issue of every repository of every installation that has a config,
and brings the lane records in line with GitHub. Needs the app's credentials:
APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, and GHE_HOST/GHE_PROTOCOL for GitHub Enterprise.`,
  options: {
    "dry-run": {
      type: "boolean",
      description: "read GitHub and print the grant changes, but change nothing",
      default: "off",
    },
  },
  async run(_args, values) {
    const appId = Number(process.env.APP_ID);
    const privateKey = getPrivateKey() ?? undefined;
    if (!appId || !privateKey)
      throw new UsageError("APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) are required");
    const host = process.env.GHE_HOST;
    const baseUrl = host ? `${process.env.GHE_PROTOCOL ?? "https"}://${host}/api/v3` : undefined;
    const probot = new Probot({ appId, privateKey, baseUrl, logLevel: "warn" });
    const db = await database(values);
    const log = {
      info: (m: string) => !values.json && console.error(m),
      warn: (m: string) => console.error(m),
    };
    const dryRun = values["dry-run"] === true;
    const report = await reconcileAll({ db, appId, now: () => new Date(), log }, probot, { dryRun }).finally(
      () => db.close(),
    );
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

export const ADMIN_COMMANDS: Command[] = [migrate, backup, reconcile];
