// `lanegate copy`: moves a SQLite store into a new PostgreSQL store (src/adapters/store/copy.ts
// does the copying; this checks the two URLs, opens both stores and prints).
import { existsSync } from "node:fs";
import { copyStore } from "../adapters/store/copy.ts";
import { databasePath, isPostgresUrl, printableUrl, SqliteDb } from "../adapters/store/db.ts";
import { openPostgres } from "../adapters/store/pg.ts";
import { type Command, database, UsageError, type Values } from "./spec.ts";

function urlOf(values: Values, name: "from" | "to"): string {
  const url = values[name];
  if (typeof url !== "string" || url === "") throw new UsageError(`--${name} <url> is required`);
  return url;
}

/** `2 job leases`, `1 job lease`, or nothing for none. */
function counted(n: number, what: string): string {
  return n === 0 ? "" : `${n} ${what}${n === 1 ? "" : "s"}`;
}

export const copy: Command = {
  name: "copy",
  args: [],
  summary: "copy a SQLite store into a new PostgreSQL store",
  description: `Copies every table of the SQLite store --from into the PostgreSQL store --to, keeping every id,
in one transaction: the target is migrated first, must hold no rows, and commits only when every
table holds as many rows as in the source. Stop the replica that writes the source first, and
back it up (lanegate backup). Only SQLite to PostgreSQL: see docs/deploy.md, "Moving from SQLite".`,
  options: {
    from: { type: "string", value: "url", description: "the SQLite store to copy (file:…)" },
    to: { type: "string", value: "url", description: "the PostgreSQL store to fill (postgres://…)" },
  },
  standalone: true,
  async run(_args, values) {
    const [from, to] = [urlOf(values, "from"), urlOf(values, "to")];
    if (isPostgresUrl(from))
      throw new UsageError(`--from ${printableUrl(from)} is PostgreSQL: copy only moves a SQLite store`);
    if (!isPostgresUrl(to))
      throw new UsageError(
        `--to ${to} is not a postgres:// URL: copy only moves a SQLite store to PostgreSQL`,
      );
    if (!existsSync(databasePath(from))) throw new UsageError(`--from ${from}: no SQLite store there`);
    const source = await database({ db: from });
    if (!(source instanceof SqliteDb)) throw new UsageError(`${source.name} is not a SQLite database`);
    const started = performance.now();
    try {
      const target = await openPostgres(to).catch((error: unknown) => {
        throw new UsageError(`${printableUrl(to)}: ${(error as Error).message}`);
      });
      try {
        const summary = await copyStore(source, target, {
          now: new Date(),
          onTable: (name, rows) => console.log(`${name}: ${rows === 0 ? "0 rows" : counted(rows, "row")}`),
        });
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        console.log(
          `copied ${summary.rows} rows in ${summary.tables.length} tables from ${databasePath(from)} to ${printableUrl(to)} in ${seconds} s; every count checked`,
        );
        const { deliveries, jobLeases } = summary.liveClaims;
        const live = [counted(deliveries, "delivery claim"), counted(jobLeases, "job lease")].filter(
          (c) => c,
        );
        if (live.length > 0)
          console.log(
            `note: the copy holds ${live.join(" and ")} not yet run out: if the SQLite replica still runs, stop it; otherwise they expire on their own`,
          );
        return 0;
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  },
};
