// The config as a pull request or a checkout would leave it: each file of its chain read with
// positions, merged as Probot's loader merges them, validated with the same schema lanegate runs
// under, and every error placed on the line of the file that holds it. Pure.
import { fileLabel } from "../config/chain.ts";
import {
  type ConfigFile,
  type ConfigIssue,
  mergeChain,
  parseConfig,
  type UsableLoad,
  validateConfig,
} from "../config/load.ts";
import { type Finding, finding } from "./rules.ts";
import { locate, type Position, type YamlSource } from "./source.ts";

export interface ChainFile {
  file: ConfigFile;
  /** The file's text with positions, when this check read it. */
  source: YamlSource | null;
  /** Its path in the repository checked, when it is one of that repository's files. */
  localPath: string | null;
}

const START: Position = { line: 1, column: 1 };

/**
 * A config file's mapping, or what is wrong with its text. A file that cannot be read still
 * counts as present (an empty mapping): lanegate must not fall back to the next file of the chain.
 */
export function readConfigSource(source: YamlSource): {
  config: Record<string, unknown>;
  findings: Finding[];
} {
  if (source.errors.length > 0)
    return {
      config: {},
      findings: source.errors.map((e) => finding("syntax", source.path, e, `not valid YAML: ${e.message}`)),
    };
  const value: unknown = source.doc.toJS() ?? {};
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return {
      config: {},
      findings: [finding("invalid-config", source.path, START, "the config must be a YAML mapping")],
    };
  return { config: value as Record<string, unknown>, findings: [] };
}

/** Validates the merged chain; `ownPath` is where findings about files of other repositories go. */
export function checkConfigChain(
  chain: readonly ChainFile[],
  ownPath: string,
): { load: UsableLoad; findings: Finding[] } {
  const merged = mergeChain(chain.map((c) => c.file));
  if (merged === null) return { load: { status: "missing", config: null, errors: [] }, findings: [] };
  const validated = validateConfig(merged);
  const load = parseConfig(merged);
  if (validated.ok) return { load, findings: [] };
  return { load, findings: validated.issues.flatMap((issue) => place(issue, chain, ownPath)) };
}

/** The file that holds an issue: the first of the chain that has its top-level key (earlier files win). */
function place(issue: ConfigIssue, chain: readonly ChainFile[], ownPath: string): Finding[] {
  const top = issue.path[0];
  const present = chain.filter((c) => c.file.config !== null);
  const holder = present.find((c) => top !== undefined && String(top) in (c.file.config ?? {})) ?? present[0];
  const where = issue.path.join(".") || "(root)";
  if (!holder?.source) {
    const elsewhere = holder ? ` (in ${fileLabel(holder.file)})` : "";
    return [
      finding(
        "invalid-config",
        holder?.localPath ?? ownPath,
        START,
        `${where}: ${issue.message}${elsewhere}`,
      ),
    ];
  }
  const source = holder.source;
  if (issue.keys.length > 0)
    return issue.keys.map((key) =>
      finding(
        "invalid-config",
        source.path,
        locate(source, [...issue.path, key], { key: true }),
        `${[...issue.path, key].join(".")}: unknown key`,
      ),
    );
  return [finding("invalid-config", source.path, locate(source, issue.path), `${where}: ${issue.message}`)];
}

/** A bad `_extends` or a loop, at the `_extends` of the file at fault when it was read here. */
export function extendsFinding(message: string, source: YamlSource | null, ownPath: string): Finding {
  const at = source ? locate(source, ["_extends"]) : START;
  return finding("invalid-config", source?.path ?? ownPath, at, message);
}
