// Pull requests through the stand-in for the contract checks: a config that declares cm/prod, the
// example workflows as a checkout has them, and the check runs a pull request got.
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CheckRun } from "../../standin/model.ts";
import type { FileChanges } from "../../standin/pulls.ts";
import { DEMO_CONFIG } from "../../standin/world.ts";
import { REPO, type World } from "./world.ts";

/** The demo's baseline with cm/prod declared authoritative. */
export const CM_PROD_CONFIG = DEMO_CONFIG.replace(
  "  syo/prod:",
  "  cm/prod:       { data_authority: authoritative }\n  syo/prod:",
);

const examples = resolve(import.meta.dirname, "../../docs/examples");

/** docs/examples/ as `.github/workflows/` files. */
export function exampleWorkflows(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(examples)
      .filter((f) => f.endsWith(".yml"))
      .map((f) => [`.github/workflows/${f}`, readFileSync(resolve(examples, f), "utf8")]),
  );
}

/** The check runs named `name` on a commit, oldest first. */
export function checkRunsNamed(w: World, sha: string, name: string): CheckRun[] {
  return [...w.gh.repo(REPO).checkRuns.values()].filter((r) => r.headSha === sha && r.name === name);
}

/** The one check run named `name` on a commit. */
export function checkRun(w: World, sha: string, name: string): CheckRun {
  const runs = checkRunsNamed(w, sha, name);
  if (runs.length !== 1) throw new Error(`expected one ${name} check run on ${sha}, found ${runs.length}`);
  return runs[0] as CheckRun;
}

/** A summary as GitHub shows it: the numeric entities that keep repository text inert, decoded. */
export function rendered(markdown: string | null): string {
  return (markdown ?? "").replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)));
}

/** olivia opens a pull request that writes (or, with null, removes) these files. */
export function openPr(w: World, files: FileChanges) {
  const branch = `change-${w.gh.repo(REPO).pulls.size + 1}`;
  return w.gh.openPullRequest(REPO, { author: "olivia", branch, title: branch, files });
}
