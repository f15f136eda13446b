// The CLI as an operator runs it: a real process over a database the app wrote. Its stdout is a
// pipe here, never a terminal, so tables print every cell in full.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { databasePath, openDatabase, transaction } from "../../src/adapters/store/db.ts";
import { recordDefaultBranch } from "../../src/adapters/store/repositories.ts";
import { logo404 } from "../../standin/artifacts.ts";
import { cli } from "../support/cli.ts";
import { allowedRun, complete, upload } from "../support/evidence.ts";
import { approved, dispatch, inputs } from "../support/gate.ts";
import { previousVersionDatabase, tempDatabase } from "../support/http.ts";
import { CM_OPW_BODY, createWorld, REPO } from "../support/world.ts";

const run = promisify(execFile);

async function labelled() {
  const url = tempDatabase();
  const w = await createWorld({ db: openDatabase(url) });
  const o = w.gh.openIssue(REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
  await w.send(...o.deliveries, w.gh.addLabel(REPO, o.number, "lane-policy", "mia"));
  // simulate imagines the run on the default branch, which only a run or push records.
  const branch = w.gh.repo(REPO).defaultBranch;
  await transaction(w.db, (q) => recordDefaultBranch(q, REPO, branch));
  return { url, w };
}

describe("the lanegate CLI", () => {
  it("shows lanes, one lane, the audit log and a simulated decision from the app's database", async () => {
    const { url } = await labelled();
    const lanes = JSON.parse((await cli("lanes", REPO, "--db", url, "--json")).stdout) as {
      lanes: { lane: string; state: string }[];
    };
    expect(lanes.lanes.find((l) => l.lane === "cm/prod")?.state).toBe("active");
    expect((await cli("lane", REPO, "cm/prod", "--db", url)).stdout).toContain("cm/prod: active");
    expect((await cli("audit", REPO, "--db", url, "--limit", "2")).stdout).toContain(
      "older entries: --before",
    );

    const allowed = await cli(
      "simulate",
      REPO,
      "cm/prod",
      "--confirmation",
      "bootstrap cm prod",
      "--db",
      url,
    );
    expect(allowed).toMatchObject({ code: 0 });
    expect(allowed.stdout).toContain("Allowed: empty rebuild of cm/prod");
    const refused = await cli("simulate", REPO, "cm/prod", "--confirmation", "nope", "--db", url);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/confirmation\s+FAIL\s+wrong_confirmation/);
  });

  it("shows a lane's inventory, and one operation with its phases and probes", async () => {
    const url = tempDatabase();
    const w = await createWorld({ db: openDatabase(url) });
    const runId = await allowedRun(w);
    await w.send(w.gh.jobEvent(REPO, runId, "verify", "completed", "failure"));
    upload(w, runId, logo404());
    await complete(w, runId);
    const lane = (await cli("lane", REPO, "cm/testing", "--db", url)).stdout;
    expect(lane).toContain("inventory: verification_failed (readiness verification_failed: logo 404)");
    expect(lane).toContain(`last bootstrap: run ${runId}, verification_failed`);
    const op = (await cli("operations", REPO, "1", "--db", url)).stdout;
    expect(op).toMatch(/verification\s+verify\s+completed\s+failure/);
    expect(op).toMatch(/logo\s+fail\s+404\s+https:\/\/cm.example/);
    const json = JSON.parse((await cli("operations", REPO, "1", "--db", url, "--json")).stdout);
    expect(json.evidence).toMatchObject({ lane_state: "verification_failed" });
  });

  it("prints every cell in full when stdout is not a terminal", async () => {
    const { url } = await labelled();
    const { stdout } = await cli("audit", REPO, "--db", url);
    expect(stdout).not.toContain("…");
    expect(stdout.split("\n").some((line) => line.length > 200)).toBe(true);
  });

  it("shows the operation holding a lane", async () => {
    const url = tempDatabase();
    const w = await createWorld({ db: openDatabase(url) });
    await approved(w);
    const runId = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const { stdout } = await cli("lane", REPO, "cm/testing", "--db", url);
    expect(stdout).toMatch(new RegExp(`held by operation \\d+ \\(requested, run ${runId}#1, lease until `));
    expect((await cli("lane", REPO, "cm/prod", "--db", url)).stdout).toContain("no operation holds it");
  });

  it("says so when simulate is asked about a repository it has never seen", async () => {
    const { url } = await labelled();
    const never = await cli("simulate", "acme/elsewhere", "cm/prod", "--confirmation", "x", "--db", url);
    expect(never).toMatchObject({ code: 1, stdout: "" });
    expect(never.stderr).toContain("lanegate has never seen acme/elsewhere");
  });

  it("never creates a database: a missing file is an error with exit code 2", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), "lanegate-")), "typo/db.sqlite");
    const result = await cli("lanes", REPO, "--db", `file:${missing}`);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `lanegate lanes: file:${missing}: no database at ${missing}: check --db or DATABASE_URL\n`,
    );
    expect(existsSync(join(missing, ".."))).toBe(false);
  });

  it("sends a PostgreSQL backup to pg_dump, without showing the password", async () => {
    const copy = join(mkdtempSync(join(tmpdir(), "lanegate-")), "backup.sqlite");
    const result = await cli("backup", copy, "--db", "postgres://lanegate:s3cret@127.0.0.1:1/lanegate");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is PostgreSQL: back it up with pg_dump --format=custom");
    expect(result.stderr).not.toContain("s3cret");
    expect(existsSync(copy)).toBe(false);
  });

  it("says a PostgreSQL store it cannot reach is unreachable, without showing the password", async () => {
    const result = await cli("lanes", REPO, "--db", "postgres://lanegate:s3cret@127.0.0.1:1/lanegate");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("lanegate lanes: postgres://lanegate:***@127.0.0.1:1/lanegate: ");
    expect(result.stderr).not.toContain("s3cret");
  });

  it("never migrates from a read-only command; lanegate migrate does", async () => {
    const url = previousVersionDatabase();
    const behind = await cli("lanes", REPO, "--db", url);
    expect(behind.code).toBe(2);
    expect(behind.stderr).toContain("is 1 migrations behind this lanegate: run lanegate migrate first");
    // Still behind: the first command did not migrate it.
    expect((await cli("lanes", REPO, "--db", url)).code).toBe(2);
    const migrated = await cli("migrate", "--db", url);
    expect(migrated.stdout).toContain("1 migrations applied; the schema is current");
    expect((await cli("lanes", REPO, "--db", url)).code).toBe(0);
  });

  it("creates a database with lanegate migrate", async () => {
    const url = `file:${join(mkdtempSync(join(tmpdir(), "lanegate-")), "new.sqlite")}`;
    const created = await cli("migrate", "--db", url);
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toContain("created; the schema is current");
    expect((await cli("lanes", REPO, "--db", url)).code).toBe(0);
  });

  it("backs up the running database and the copy serves as a restored database", async () => {
    const { url } = await labelled();
    const copy = join(mkdtempSync(join(tmpdir(), "lanegate-")), "backup.sqlite");
    expect((await cli("backup", copy, "--db", url)).code).toBe(0);
    expect((await cli("backup", copy, "--db", url)).code).toBe(1);
    // Restoring is putting the copy where DATABASE_URL points while the service is stopped.
    const restored = openDatabase(`file:${copy}`);
    await restored.close();
    const lanes = JSON.parse((await cli("lanes", REPO, "--db", `file:${copy}`, "--json")).stdout) as {
      lanes: { lane: string; state: string }[];
    };
    expect(lanes.lanes.filter((l) => l.state === "active").length).toBe(4);
    expect(databasePath(`file:${copy}`)).toBe(copy);
  });

  it("refuses bad option values and unknown commands with exit code 2", async () => {
    const url = tempDatabase();
    await openDatabase(url).close();
    expect((await cli("audit", REPO, "--db", url, "--limit", "ten")).stderr).toContain(
      '--limit takes a positive whole number, not "ten"',
    );
    expect((await cli("audit", REPO, "--db", url, "--limit", "0")).code).toBe(2);
    const source = await cli(
      "simulate",
      REPO,
      "cm/prod",
      "--source",
      "tape",
      "--confirmation",
      "x",
      "--db",
      url,
    );
    expect(source).toMatchObject({ code: 2 });
    expect(source.stderr).toContain('--source takes empty, upstream_restore, backup_restore, not "tape"');
    expect((await cli("lanes", "not-a-repo", "--db", url)).code).toBe(2);
    expect((await cli("lanes", REPO, "--colour")).code).toBe(2);
    expect((await cli("lanes")).code).toBe(2);
    const unknown = await cli("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('lanegate: unknown command "frobnicate"');
  });

  it("lists every option of every command with its default in --help", async () => {
    expect((await cli("--help")).stdout).toContain("backup");
    for (const command of [
      "lanes",
      "lane",
      "operations",
      "simulate",
      "audit",
      "reconcile",
      "migrate",
      "backup",
    ]) {
      const { stdout, code } = await cli(command, "--help");
      expect(code).toBe(0);
      for (const option of ["--db <url>", "--json", "--wide", "-h, --help"]) expect(stdout).toContain(option);
      expect(stdout).toContain("(default: $DATABASE_URL, else file:data/lanegate.sqlite)");
    }
    const simulate = (await cli("simulate", "--help")).stdout;
    expect(simulate).toMatch(/--source <s>\s+empty \| upstream_restore \| backup_restore \(default: empty\)/);
    expect(simulate).toContain("--confirmation <phrase>");
    expect((await cli("audit", "--help")).stdout).toMatch(/--limit <n>\s+how many entries \(default: 50\)/);
    const register = (await cli("register", "--help")).stdout;
    expect(register).toMatch(/--port <n>\s+.*\(default: 3000\)/);
    for (const option of ["--url <url>", "--org <login>", "-h, --help"]) expect(register).toContain(option);
  });
});

describe("the lanegate CLI on a terminal", () => {
  it("cuts long cells at 60 characters unless --wide", async () => {
    const { url } = await labelled();
    // script(1) gives the command a pseudo-terminal, as an operator's shell would.
    const onTerminal = async (...args: string[]) =>
      (await run("script", ["-qec", ["node", "bin/lanegate.js", ...args].join(" "), "/dev/null"])).stdout;
    expect(await onTerminal("audit", REPO, "--db", url)).toContain("…");
    expect(await onTerminal("audit", REPO, "--db", url, "--wide")).not.toContain("…");
  });
});
