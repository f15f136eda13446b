import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePhrase } from "../../src/core/domain.ts";
import {
  CHECK_NAMES,
  decide,
  decisionSchema,
  type GateFacts,
  reasonOf,
} from "../../src/core/gate/decision.ts";
import { joinRun } from "../../src/core/gate/join.ts";
import type { ReasonCode } from "../../src/core/gate/reasons.ts";
import { parseRequest, workflowFile } from "../../src/core/gate/request.ts";
import { gateFacts as facts, cmGrant as grantFixture } from "./grant-fixture.ts";

const cmGrant = grantFixture();
describe("decide", () => {
  it("allows when every check passes, and reports all seven in the contract's order", () => {
    const d = decide(facts());
    expect(d.allowed).toBe(true);
    expect(d.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
  });

  it("refuses with github_unavailable when a fact could not be gathered, judging nothing else", () => {
    const d = decide(facts({ gatherError: "GitHub answered 502" }));
    expect(d.allowed).toBe(false);
    expect(reasonOf(d)).toBe("github_unavailable");
    expect(d.checks.slice(1).map((c) => c.code)).toEqual(Array(6).fill("not_checked"));
    expect(d.title).toContain("GitHub answered 502");
  });

  it("refuses an input that is neither one of the four nor declared", () => {
    const inputs = {
      context: "cm",
      instance: "testing",
      confirmation: "bootstrap cm testing",
      odoo_version: "17",
    };
    const d = decide(facts({ dispatch: { branch: "main", inputs } }));
    expect(reasonOf(d)).toBe("undeclared_input");
  });

  it("allows a declared input and records it with the request", () => {
    const inputs = {
      context: "cm",
      instance: "testing",
      confirmation: "bootstrap cm testing",
      odoo_version: "17",
    };
    const d = decide(facts({ dispatch: { branch: "main", inputs }, declaredInputs: ["odoo_version"] }));
    expect(reasonOf(d)).toBe("ok");
    expect(d.request?.extra).toEqual({ odoo_version: "17" });
  });

  it("stores a decision that reads back unchanged through its schema", () => {
    const d = decide(facts());
    expect(decisionSchema.parse(JSON.parse(JSON.stringify(d)))).toEqual(d);
  });

  it("checks expiry against the clock itself, whatever the stored state says", () => {
    const d = decide(facts({ now: new Date("2027-04-01T00:00:00Z") }));
    expect(d.checks.find((c) => c.name === "grant_in_force")).toMatchObject({
      ok: false,
      code: "grant_expired",
    });
  });

  it("never allows when any fact is spoiled, and names one of the spoiled facts (property)", () => {
    const spoilers: [(f: GateFacts) => GateFacts, ReasonCode][] = [
      [(f) => ({ ...f, run: { ...f.run, event: "push" } }), "not_dispatched"],
      [(f) => ({ ...f, dispatch: null }), "no_dispatch"],
      [(f) => ({ ...f, joinProblem: "ambiguous" }), "ambiguous_dispatch"],
      [(f) => ({ ...f, allowedBranches: ["release"] }), "branch_not_allowed"],
      [(f) => ({ ...f, knownLanes: new Set() }), "unknown_lane"],
      [(f) => ({ ...f, grants: [] }), "no_grant"],
      [(f) => ({ ...f, grants: [{ ...cmGrant, state: "suspended" }] }), "grant_suspended"],
      [(f) => ({ ...f, inFlight: { runId: 9, attempt: 1 } }), "lane_busy"],
      [
        (f) => ({ ...f, run: { ...f.run, attempt: 2 }, earlierAttempts: [{ attempt: 1, allowed: true }] }),
        "rerun_of_allowed",
      ],
      [(f) => ({ ...f, run: { ...f.run, finished: true } }), "run_finished"],
      [(f) => ({ ...f, gatherError: "x" }), "github_unavailable"],
    ];
    fc.assert(
      fc.property(fc.subarray(spoilers, { minLength: 1 }), (chosen) => {
        const spoiled = chosen.reduce((f, [spoil]) => spoil(f), facts());
        const d = decide(spoiled);
        expect(d.allowed).toBe(false);
        expect(chosen.map(([, code]) => code)).toContain(reasonOf(d));
      }),
    );
  });

  it("refuses every phrase but the right one, near misses included, with wrong_confirmation (property)", () => {
    const right = "bootstrap cm testing";
    // One character of the right phrase replaced by up to two others, or any text at all.
    const nearMiss = fc
      .tuple(fc.nat(right.length - 1), fc.string({ maxLength: 2 }))
      .map(([at, s]) => right.slice(0, at) + s + right.slice(at + 1));
    fc.assert(
      fc.property(fc.oneof(nearMiss, fc.string()), (phrase) => {
        // Case and spacing do not matter: a phrase equal to the right one that way is right.
        fc.pre(normalizePhrase(phrase) !== normalizePhrase(right));
        const wrong = facts({
          dispatch: {
            branch: "main",
            inputs: { context: "cm", instance: "testing", source: "empty", confirmation: phrase },
          },
        });
        const d = decide(wrong);
        expect(d.allowed).toBe(false);
        expect(reasonOf(d)).toBe("wrong_confirmation");
      }),
    );
  });

  it("allows the right phrase in any case and spacing", () => {
    const inputs = { context: "cm", instance: "testing", source: "empty" };
    for (const confirmation of ["bootstrap cm testing", "  Bootstrap   CM testing ", "BOOTSTRAP CM TESTING"])
      expect(
        decide(facts({ dispatch: { branch: "main", inputs: { ...inputs, confirmation } } })).allowed,
      ).toBe(true);
  });
});

describe("parseRequest", () => {
  it("defaults the source to empty and normalises the lane", () => {
    expect(parseRequest({ context: " CM ", instance: "Testing", confirmation: "x" })).toEqual({
      ok: true,
      request: { lane: "cm/testing", source: "empty", confirmation: "x", extra: {} },
    });
  });

  it("normalises a workflow path with an @ref suffix", () => {
    expect(workflowFile(".github/workflows/odoo-stable-bootstrap.yml@refs/heads/main")).toBe(
      "odoo-stable-bootstrap.yml",
    );
  });
});

describe("joinRun", () => {
  const run = {
    workflowFile: "b.yml",
    headBranch: "main",
    actor: "olivia",
    createdAt: "2026-11-23T10:00:00Z",
    displayTitle: "bootstrap cm/prod",
  };
  const dispatch = (id: number, lane: string, confirmation = "c") => {
    const [context, instance] = lane.split("/");
    return {
      id,
      workflowFile: "b.yml",
      branch: "main",
      actor: "olivia",
      inputs: { context, instance, confirmation },
      receivedAt: "2026-11-23T10:00:01Z",
    };
  };

  it("picks the dispatch whose lane the run-name names", () => {
    expect(joinRun(run, [dispatch(1, "cm/testing"), dispatch(2, "cm/prod")])).toEqual({
      kind: "joined",
      dispatchId: 2,
    });
  });

  it("does not take cm/pro for cm/prod in the run-name, nor fall back to another lane's dispatch", () => {
    expect(joinRun({ ...run, displayTitle: "bootstrap cm/prod" }, [dispatch(1, "cm/pro")])).toEqual({
      kind: "none",
    });
  });

  it("joins only a dispatch for the source the run-name names", () => {
    const titled = { ...run, displayTitle: "bootstrap cm/prod (upstream_restore)" };
    const empty = dispatch(1, "cm/prod");
    const upstream = {
      ...dispatch(2, "cm/prod"),
      inputs: { ...dispatch(2, "cm/prod").inputs, source: "upstream_restore" },
    };
    expect(joinRun(titled, [empty])).toEqual({ kind: "none" });
    expect(joinRun(titled, [empty, upstream])).toEqual({ kind: "joined", dispatchId: 2 });
  });

  it("is ambiguous when dispatches that differ could each have started the run", () => {
    expect(
      joinRun({ ...run, displayTitle: "bootstrap" }, [dispatch(1, "cm/testing"), dispatch(2, "cm/prod")]),
    ).toMatchObject({ kind: "ambiguous" });
  });

  it("takes the oldest of identical dispatches", () => {
    expect(joinRun(run, [dispatch(3, "cm/prod"), dispatch(2, "cm/prod")])).toEqual({
      kind: "joined",
      dispatchId: 2,
    });
  });

  it("ignores dispatches by someone else, on another branch, or far from the run in time", () => {
    const others = [
      { ...dispatch(1, "cm/prod"), actor: "mallory" },
      { ...dispatch(2, "cm/prod"), branch: "feature" },
      { ...dispatch(3, "cm/prod"), receivedAt: "2026-11-23T11:00:00Z" },
    ];
    expect(joinRun(run, others)).toEqual({ kind: "none" });
  });
});
