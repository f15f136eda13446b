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

/** The files of a chain merged as Probot's loader does: earlier files win, key by key at the top. */
export function mergeChain(files: ConfigFile[]): Record<string, unknown> | null {
  const found = files.map((f) => f.config).filter((c): c is Record<string, unknown> => c !== null);
  return found.length === 0 ? null : Object.assign({}, ...found.reverse());
}

/** Merges the chain and validates the result. */
export function composeConfig(files: ConfigFile[]): UsableLoad {
  const merged = mergeChain(files);
  return merged === null ? { status: "missing", config: null, errors: [] } : parseConfig(merged);
}

/** One thing wrong with a config: where (a key path), what, and for unknown keys which. */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
  /** The unknown keys, when the issue is that the mapping at `path` has keys it must not. */
  keys: string[];
}

export function validateConfig(
  raw: unknown,
): { ok: true; config: LanegateConfig } | { ok: false; issues: ConfigIssue[] } {
  const { _extends: _ignored, ...rest } = (typeof raw === "object" && raw !== null ? raw : {}) as Record<
    string,
    unknown
  >;
  const parsed = configSchema.safeParse(rest);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issues = parsed.error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "number" ? p : String(p))),
    message: i.message,
    keys: i.code === "unrecognized_keys" ? i.keys : [],
  }));
  return { ok: false, issues };
}

export const describeIssue = (i: ConfigIssue) => `${i.path.join(".") || "(root)"}: ${i.message}`;

export function parseConfig(raw: unknown): UsableLoad {
  const validated = validateConfig(raw);
  if (validated.ok) return { status: "ok", config: validated.config, errors: [] };
  return { status: "invalid", config: null, errors: validated.issues.map(describeIssue) };
}

/** The config a load leaves in force: a missing or invalid one means the defaults. */
export function configInForce(load: ConfigLoad): LanegateConfig | null {
  if (load.status === "unreadable") return null;
  return load.config ?? DEFAULT_CONFIG;
}

/** What the store last recorded of a repository's config load. */
export interface RecordedLoad {
  status: ConfigLoad["status"];
  errors: string[];
}

/**
 * The audit log's line for a config load, or null when it says nothing new: the same status with
 * the same errors as the load recorded before (most syncs load the same config again).
 */
export function describeLoadChange(previous: RecordedLoad | null, load: ConfigLoad): string | null {
  const sameErrors =
    previous !== null &&
    previous.errors.length === load.errors.length &&
    previous.errors.every((e, i) => e === load.errors[i]);
  if (previous?.status === load.status && sameErrors) return null;
  const detail = load.errors.length ? `: ${load.errors.join("; ")}` : "";
  return `${previous?.status ?? "never loaded"} -> ${load.status}${detail}`;
}
