// The service's environment: `.env` is read first (values already set win, as with dotenv), then
// every variable is checked, so a mistake is one line naming the variable, never a stack trace.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { getPrivateKey } from "@probot/get-private-key";
import { z } from "zod";

export type Env = Record<string, string | undefined>;

/** A configuration mistake: main.ts prints its message alone and exits 1. */
export class EnvError extends Error {}

/**
 * The environment with `.env` beneath it. node:util's parser is the one Probot uses for `.env`, so
 * a file its manifest flow writes (a multi-line PRIVATE_KEY in quotes) reads the same here.
 */
export function withDotenv(env: Env, cwd = process.cwd()): Env {
  let text: string;
  try {
    text = readFileSync(join(cwd, ".env"), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return env;
    throw new EnvError(`.env could not be read: ${(error as Error).message}`);
  }
  return { ...parseEnv(text), ...env };
}

/** Whether the environment names a GitHub App; without one, `npm start` runs the local playground. */
export const namesAnApp = (env: Env) => Boolean(env.APP_ID || env.PRIVATE_KEY || env.PRIVATE_KEY_PATH);

const flag = z.enum(["true", "false"], { error: "must be true or false" });
const positiveInt = (what: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]*$/, { error: `must be ${what}` })
    .transform(Number);

const schema = z.object({
  APP_ID: positiveInt("the GitHub App's numeric id"),
  WEBHOOK_SECRET: z.string({ error: "is required: unsigned webhooks are never accepted" }).min(1, {
    error: "is required: unsigned webhooks are never accepted",
  }),
  PORT: positiveInt("a port number").optional(),
  HOST: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).optional(),
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  GHE_HOST: z.string().min(1).optional(),
  GHE_PROTOCOL: z.enum(["http", "https"]).optional(),
  GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  LANEGATE_API_TOKEN: z.string().min(16, { error: "must be at least 16 characters" }).optional(),
  LANEGATE_API_PUBLIC: flag.optional(),
  LANEGATE_PUBLIC_URL: z.url({ error: "must be an absolute URL" }).optional(),
  LANEGATE_DOCS_URL: z.url({ error: "must be an absolute URL" }).optional(),
  LANEGATE_SHUTDOWN_SECONDS: positiveInt("a whole number of seconds").optional(),
  LANEGATE_REDELIVER_MINUTES: z
    .string()
    .regex(/^[0-9]+$/, { error: "must be a whole number of minutes (0 turns it off)" })
    .transform(Number)
    .optional(),
});

export type ServiceEnv = z.infer<typeof schema> & { privateKey: string };

export function readServiceEnv(env: Env): ServiceEnv {
  // An empty variable counts as unset, as it does for Probot.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? "environment");
    const given = present[name];
    const shown = given === undefined || /SECRET|TOKEN|KEY/.test(name) ? "" : ` (got "${given}")`;
    throw new EnvError(`${name} ${issue?.message ?? "is invalid"}${shown}`);
  }
  let privateKey: string | null;
  try {
    privateKey = getPrivateKey({ env: present });
  } catch (error) {
    throw new EnvError(`PRIVATE_KEY_PATH or PRIVATE_KEY: ${(error as Error).message.split("\n")[0]}`);
  }
  if (!privateKey) throw new EnvError("PRIVATE_KEY or PRIVATE_KEY_PATH is required: the App's private key");
  return { ...parsed.data, privateKey };
}
