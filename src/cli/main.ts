// `lanegate`: the read models and the reconcile, over the same database as the app.
import { parseArgs } from "node:util";
import { COMMANDS, type Command, usage } from "./commands.ts";

const [name, ...rest] = process.argv.slice(2);
const command: Command | undefined = COMMANDS.find((c) => c.name === name);

if (!command) {
  const helpAsked = name === undefined || name === "--help" || name === "-h" || name === "help";
  (helpAsked ? console.log : console.error)(usage());
  process.exit(helpAsked ? 0 : 2);
}

let values: Record<string, string | boolean | undefined>;
let positionals: string[];
try {
  ({ values, positionals } = parseArgs({
    args: rest,
    options: {
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      db: { type: "string" },
      ...command.options,
    },
    allowPositionals: true,
  }));
} catch (error) {
  console.error(`lanegate ${command.name}: ${(error as Error).message}\n\n${command.help}`);
  process.exit(2);
}
if (values.help) {
  console.log(command.help);
  process.exit(0);
}
// An argument written `[id]` may be left out.
const required = command.args.filter((a) => !a.startsWith("[")).length;
if (positionals.length < required || positionals.length > command.args.length) {
  console.error(
    `lanegate ${command.name}: expected ${command.args.join(" ") || "no arguments"}\n\n${command.help}`,
  );
  process.exit(2);
}
try {
  process.exitCode = await command.run(positionals, values);
} catch (error) {
  console.error(`lanegate ${command.name}: ${(error as Error).message}`);
  process.exitCode = 1;
}
