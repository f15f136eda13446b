// The environment as an operator writes it: .env beneath the real environment, one clear line per
// mistake, and no stack trace from the production entry point.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { EnvError, readServiceEnv, withDotenv } from "../../src/env.ts";
import { PRIVATE_KEY } from "../support/app.ts";

const GOOD = { APP_ID: "42", PRIVATE_KEY, WEBHOOK_SECRET: "s3cret" };

function dir(dotenv?: string): string {
  const d = mkdtempSync(join(tmpdir(), "lanegate-env-"));
  if (dotenv !== undefined) writeFileSync(join(d, ".env"), dotenv);
  return d;
}

describe("the environment", () => {
  it("reads .env, multi-line quoted keys included, and lets the real environment win", () => {
    const cwd = dir(`APP_ID=7\nWEBHOOK_SECRET=from-file\nPRIVATE_KEY="${PRIVATE_KEY}"\n`);
    const env = withDotenv({ WEBHOOK_SECRET: "from-env" }, cwd);
    expect(env).toMatchObject({ APP_ID: "7", WEBHOOK_SECRET: "from-env" });
    expect(readServiceEnv(env).privateKey).toBe(PRIVATE_KEY);
  });

  it("names the variable and the value for a malformed setting", () => {
    expect(() => readServiceEnv({ ...GOOD, APP_ID: "abc" })).toThrow(
      new EnvError(`APP_ID must be the GitHub App's numeric id (got "abc")`),
    );
    expect(() => readServiceEnv({ ...GOOD, LANEGATE_API_PUBLIC: "yes" })).toThrow(
      /^LANEGATE_API_PUBLIC must be true or false/,
    );
    expect(() => readServiceEnv({ ...GOOD, PORT: "80a" })).toThrow(/^PORT must be a port number/);
  });

  it("never echoes a secret it rejects", () => {
    expect(() => readServiceEnv({ ...GOOD, LANEGATE_API_TOKEN: "short" })).toThrow(
      new EnvError("LANEGATE_API_TOKEN must be at least 16 characters"),
    );
  });

  it("says which credential is missing", () => {
    expect(() => readServiceEnv({ APP_ID: "42", PRIVATE_KEY })).toThrow(/^WEBHOOK_SECRET is required/);
    expect(() => readServiceEnv({ APP_ID: "42", WEBHOOK_SECRET: "s" })).toThrow(
      /^PRIVATE_KEY or PRIVATE_KEY_PATH/,
    );
    expect(() => readServiceEnv({ ...GOOD, PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: "/nope.pem" })).toThrow(
      /^PRIVATE_KEY_PATH or PRIVATE_KEY: /,
    );
  });

  it("makes the production entry point print one line and exit 1, without a stack trace", async () => {
    const main = resolve(import.meta.dirname, "../../src/main.ts");
    const tsx = import.meta.resolve("tsx");
    const failure = await promisify(execFile)("node", ["--import", tsx, main], {
      cwd: dir("APP_ID=twelve\n"),
      env: { PATH: process.env.PATH },
    }).catch((e: { code: number; stderr: string; stdout: string }) => e);
    expect(failure).toMatchObject({ code: 1, stdout: "" });
    expect((failure as { stderr: string }).stderr).toBe(
      `lanegate: APP_ID must be the GitHub App's numeric id (got "twelve")\n`,
    );
  });
});
