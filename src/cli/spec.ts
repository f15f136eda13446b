// What every command shares: its options with their defaults (help is written from them), value
// parsing that refuses bad input, the database it may open, and how a table is printed.
import { type Db, DEFAULT_DATABASE_URL, openExistingStore, printableUrl } from "../adapters/store/db.ts";
import { table } from "./table.ts";

/** A mistake in how the command was typed, or a database that is not there: exit 2. */
export class UsageError extends Error {}

export type Values = Record<string, string | boolean | undefined>;

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** The placeholder in help, `--limit <n>`. */
  value?: string;
  description: string;
  /** Shown in help; the command applies it. */
  default?: string;
}

export interface Command {
  name: string;
  args: string[];
  summary: string;
  description: string;
  options: Record<string, OptionSpec>;
  /** Takes none of the database and output options (register). */
  standalone?: boolean;
  run(args: string[], values: Values): Promise<number>;
}

const HELP: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  db: {
    type: "string",
    value: "url",
    description: "the database",
    default: `$DATABASE_URL, else ${DEFAULT_DATABASE_URL}`,
  },
  json: { type: "boolean", description: "print JSON instead of a table", default: "off" },
  wide: {
    type: "boolean",
    description: "print every cell in full (always so when stdout is not a terminal)",
    default: "off",
  },
  help: HELP,
};

export function optionsOf(command: Command): Record<string, OptionSpec> {
  return command.standalone ? { ...command.options, help: HELP } : { ...command.options, ...COMMON_OPTIONS };
}

export function helpOf(command: Command): string {
  const options = optionsOf(command);
  const flags = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${name}${o.value ? ` <${o.value}>` : ""}`;
    return [flag, `${o.description}${o.default ? ` (default: ${o.default})` : ""}`] as const;
  });
  const width = Math.max(...flags.map(([flag]) => flag.length));
  const args = command.args.map((a) => (a.startsWith("[") ? a : `<${a}>`)).join(" ");
  return [
    `Usage: lanegate ${command.name}${args ? ` ${args}` : ""} [options]`,
    "",
    command.description,
    "",
    "Options:",
    ...flags.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
  ].join("\n");
}

export function positiveInt(values: Values, name: string, fallback?: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== "string" || !/^[1-9][0-9]*$/.test(raw))
    throw new UsageError(`--${name} takes a positive whole number, not "${String(raw)}"`);
  return Number(raw);
}

export function repoArg(raw: string): string {
  if (!/^[\w.-]+\/[\w.-]+$/.test(raw)) throw new UsageError(`"${raw}" is not owner/repo`);
  return raw.toLowerCase();
}

export function databaseUrl(values: Values): string {
  return typeof values.db === "string" ? values.db : (process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
}

/** An existing database at the current schema; never creates or migrates one. */
export async function database(values: Values): Promise<Db> {
  const url = databaseUrl(values);
  let db: Db;
  let pending: number;
  try {
    db = await openExistingStore(url);
    pending = await db.pendingMigrations();
  } catch (error) {
    throw new UsageError(`${printableUrl(url)}: ${(error as Error).message}`);
  }
  if (pending > 0) {
    await db.close();
    throw new UsageError(
      `${printableUrl(url)} is ${pending} migrations behind this lanegate: run lanegate migrate first`,
    );
  }
  return db;
}

export function print(values: Values, json: unknown, text: () => string) {
  console.log(values.json ? JSON.stringify(json, null, 2) : text());
}

/** Cells are cut to fit a terminal unless --wide; piped output always has them in full. */
export function grid(values: Values, header: string[], rows: string[][]): string {
  return table(header, rows, { wide: values.wide === true || !process.stdout.isTTY });
}
