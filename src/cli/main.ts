// `lanegate`: the read models, migrations, backups, the reconcile and the copy to PostgreSQL, over
// the app's database, and `check`, the pull-request rules over a checkout.
// Exit codes: 0 done (or allowed), 1 refused or failed, 2 a usage error or no database.
import { parseArgs } from "node:util";
import { ADMIN_COMMANDS } from "./admin.ts";
import { check } from "./check.ts";
import { copy } from "./copy.ts";
import { READ_COMMANDS } from "./read.ts";
import { register } from "./register.ts";
import { type Command, helpOf, optionsOf, UsageError, type Values } from "./spec.ts";

const COMMANDS: Command[] = [...READ_COMMANDS, ...ADMIN_COMMANDS, copy, check, register];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: lanegate <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun lanegate <command> --help for a command's options.`;
}

const [name, ...rest] = process.argv.slice(2);
const command = COMMANDS.find((c) => c.name === name);

if (name === undefined || name === "--help" || name === "-h" || name === "help") {
  console.log(usage());
  process.exit(0);
}
if (!command) {
  console.error(`lanegate: unknown command "${name}"\n\n${usage()}`);
  process.exit(2);
}

let values: Values;
let positionals: string[];
try {
  const options = Object.fromEntries(
    Object.entries(optionsOf(command)).map(([key, o]) => [
      key,
      { type: o.type, ...(o.short ? { short: o.short } : {}) },
    ]),
  );
  ({ values, positionals } = parseArgs({ args: rest, options, allowPositionals: true, strict: true }));
} catch (error) {
  console.error(`lanegate ${command.name}: ${(error as Error).message}\n\n${helpOf(command)}`);
  process.exit(2);
}
if (values.help) {
  console.log(helpOf(command));
  process.exit(0);
}
// An argument written `[id]` may be left out.
const required = command.args.filter((a) => !a.startsWith("[")).length;
if (positionals.length < required || positionals.length > command.args.length) {
  const expected = command.args.map((a) => `<${a}>`).join(" ") || "no arguments";
  console.error(`lanegate ${command.name}: expected ${expected}\n\n${helpOf(command)}`);
  process.exit(2);
}
try {
  process.exitCode = await command.run(positionals, values);
} catch (error) {
  console.error(`lanegate ${command.name}: ${(error as Error).message}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
