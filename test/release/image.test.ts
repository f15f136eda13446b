// The image's steps, outside a container (none can run on these machines): a clean copy of the
// checkout, the Dockerfile's own staging script (build, production-only install), then the final
// stage's ENV, CMD and HEALTHCHECK read from the Dockerfile itself. What this does not prove: the
// base image, apt, `USER node` and the /data volume's ownership; those need a container engine.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deliver } from "../../standin/index.ts";
import { DEMO_REPO, startLocalGitHub } from "../../standin/world.ts";
import { CM_OPW_BODY } from "../support/world.ts";
import { groupAlive, killGroup, start, until } from "./process.ts";

const root = resolve(import.meta.dirname, "../..");
const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
const execForm = (instruction: string, text: string): string[] => {
  const match = new RegExp(`^${instruction}.*?(\\[.*\\])\\s*$`, "m").exec(text);
  if (!match?.[1]) throw new Error(`no ${instruction} in exec form`);
  return JSON.parse(match[1]) as string[];
};
const imageEnv = (): Record<string, string> => {
  const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(finalStage)?.[1] ?? "";
  return Object.fromEntries([...block.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? "", m[2] ?? ""]));
};

/** The checkout as `COPY . .` sees it: tracked and untracked files, nothing .gitignore leaves out. */
function cleanCopy(into: string) {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
  })
    .toString()
    .split("\0")
    .filter((f) => f && existsSync(join(root, f)));
  for (const file of files) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    copyFileSync(join(root, file), join(into, file));
  }
  // The build stage's `npm ci`: reused from this checkout rather than run again (about 75 s).
  symlinkSync(join(root, "node_modules"), join(into, "node_modules"));
}

let pgid: number | undefined;
afterAll(() => killGroup(pgid));

describe("the container image's steps", () => {
  it("builds, installs production dependencies only, serves, answers its health check and stops on SIGTERM", async () => {
    const work = mkdtempSync(join(tmpdir(), "lanegate-image-"));
    cleanCopy(join(work, "src"));
    const staging = /^RUN (scripts\/release\/stage\.sh) (\/app)$/m.exec(dockerfile);
    expect(staging, "the Dockerfile stages through scripts/release/stage.sh").not.toBeNull();
    const app = join(work, "app");
    execFileSync("sh", [staging?.[1] ?? "", app], { cwd: join(work, "src"), stdio: "pipe" });
    expect(readdirSync(join(app, "node_modules"))).not.toContain("vitest");
    expect(existsSync(join(app, "node_modules/tsx"))).toBe(false);

    const local = await startLocalGitHub();
    const env = imageEnv();
    expect(env).toMatchObject({ HOST: "0.0.0.0", NODE_ENV: "production", LOG_FORMAT: "json" });
    // The /data volume is a directory here, and 3000 may be taken on this machine.
    const data = join(work, "data");
    mkdirSync(data);
    const port = String(40_000 + Math.floor(Math.random() * 20_000));
    const runEnv = {
      PATH: process.env.PATH,
      ...env,
      ...local.env,
      PORT: port,
      DATABASE_URL: (env.DATABASE_URL ?? "").replace("/data", data),
    };
    const [command = "", ...args] = execForm("CMD", finalStage);
    const server = start(command, args, { cwd: app, env: runEnv });
    pgid = server.child.pid;
    try {
      const base = `http://127.0.0.1:${port}`;
      await until("readiness", async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined));
      const [hcCommand = "", ...hcArgs] = execForm("HEALTHCHECK", finalStage);
      expect(() => execFileSync(hcCommand, hcArgs, { cwd: app, env: runEnv })).not.toThrow();
      const opened = local.standin.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
      const [first] = opened.deliveries;
      if (!first) throw new Error("no delivery");
      expect(await deliver(`${base}/api/github/webhooks`, local.env.WEBHOOK_SECRET ?? "", first)).toBe(200);

      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(groupAlive(server.child.pid ?? 0)).toBe(false);
      // The CLI in the image runs from dist/ (no sources, no tsx) over the database the server left.
      const lanes = execFileSync("node", ["bin/lanegate.js", "lanes", DEMO_REPO, "--json"], {
        cwd: app,
        env: runEnv,
      });
      expect(JSON.parse(lanes.toString())).toMatchObject({ repository: DEMO_REPO });
      const lines = server.output().trim().split("\n");
      expect(
        lines.every((line) => line.startsWith("{")),
        server.output(),
      ).toBe(true);
      expect(lines.some((line) => (JSON.parse(line) as { delivery?: string }).delivery === first.id)).toBe(
        true,
      );
    } finally {
      await local.running.close();
    }
  }, 180_000);
});
