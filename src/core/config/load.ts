// Turns the config files read from GitHub into a config lanegate runs under, or a report.
import { configSchema, DEFAULT_CONFIG, type LanegateConfig } from "./schema.ts";

export type ConfigLoad =
  | { status: "ok"; config: LanegateConfig; errors: [] }
  | { status: "missing"; config: null; errors: [] }
  /** Loaded but does not validate: nothing of it applies, the defaults do. */
  | { status: "invalid"; config: null; errors: string[] }
  /** Could not be read (an API fault): the app cannot decide anything that depends on it. */
  | { status: "unreadable"; errors: string[] };

/** A load that yields a config (its own, or the defaults). */
export type UsableLoad = Exclude<ConfigLoad, { status: "unreadable" }>;

/**
 * One file of the chain Probot's loader follows: the repository's own file, else the org's
 * `.github` repository's, then each `_extends`. `config` is the parsed file, `_extends` kept, so
 * the chain can be walked again from the cache; null when the file does not exist.
 */
export interface ConfigFile {
  owner: string;
  repo: string;
  path: string;
  etag: string | null;
  config: Record<string, unknown> | null;
}

/** Merges the chain as Probot's loader does (earlier files win) and validates the result. */
export function composeConfig(files: ConfigFile[]): UsableLoad {
  const found = files.map((f) => f.config).filter((c): c is Record<string, unknown> => c !== null);
  if (found.length === 0) return { status: "missing", config: null, errors: [] };
  return parseConfig(Object.assign({}, ...found.reverse()));
}

export function parseConfig(raw: unknown): UsableLoad {
  const { _extends: _ignored, ...rest } = (typeof raw === "object" && raw !== null ? raw : {}) as Record<
    string,
    unknown
  >;
  const parsed = configSchema.safeParse(rest);
  if (parsed.success) return { status: "ok", config: parsed.data, errors: [] };
  const errors = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  return { status: "invalid", config: null, errors };
}

/** The config a load leaves in force: a missing or invalid one means the defaults. */
export function configInForce(load: ConfigLoad): LanegateConfig | null {
  if (load.status === "unreadable") return null;
  return load.config ?? DEFAULT_CONFIG;
}
