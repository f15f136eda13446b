// The CLI as an operator runs it: a real process over a database the app wrote.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/adapters/store/db.ts";
import { logo404 } from "../evidence/artifacts.ts";
import { allowedRun, complete, upload } from "../support/evidence.ts";
import { tempDatabase } from "../support/http.ts";
import { CM_OPW_BODY, createWorld, REPO } from "../support/world.ts";

const run = promisify(execFile);
const cli = async (...args: string[]) => {
  try {
    const { stdout } = await run("node", ["bin/lanegate.js", ...args]);
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: `${e.stdout}${e.stderr}` };
  }
};

describe("the lanegate CLI", () => {
  it("shows lanes, one lane, the audit log and a simulated decision from the app's database", async () => {
    const url = tempDatabase();
    const w = await createWorld({ db: openDatabase(url) });
    const o = w.gh.openIssue(REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    await w.send(...o.deliveries, w.gh.addLabel(REPO, o.number, "lane-policy", "mia"));

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

  it("explains its usage on --help and refuses bad arguments with exit code 2", async () => {
    expect((await cli("--help")).stdout).toContain("simulate");
    expect((await cli("simulate", "--help")).stdout).toContain("--confirmation");
    expect((await cli("lanes")).code).toBe(2);
    expect((await cli("frobnicate")).code).toBe(2);
  });
});
