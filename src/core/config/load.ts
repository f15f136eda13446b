// Turns what Probot's config loader returned into a config lanegate runs under, or a report.
import { configSchema, DEFAULT_CONFIG, type LanegateConfig } from "./schema.ts";

export type ConfigLoad =
  | { status: "ok"; config: LanegateConfig; errors: [] }
  | { status: "missing"; config: null; errors: [] }
  /** Loaded but does not validate: nothing of it applies, the defaults do. */
  | { status: "invalid"; config: null; errors: string[] }
  /** Could not be read (an API fault): the app cannot decide anything that depends on it. */
  | { status: "unreadable"; errors: string[] };

export function parseConfig(raw: unknown): ConfigLoad {
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
