// The answer to a deployment protection request, as a table: wait, approve or reject, and the
// comment GitHub shows, from the decision of the run's current attempt and the environment.
import { describe, expect, it } from "vitest";
import {
  PROTECTION_GRACE_MS,
  type ProtectionFacts,
  protectionAnswer,
} from "../../src/core/gate/protection.ts";

const NOW = new Date("2026-12-03T10:00:00Z");
const waited = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const allowedFor = (lane: string) => ({ allowed: true, lane, reason: "ok" });
const refusedFor = (lane: string | null, reason: string | null) => ({ allowed: false, lane, reason });

/** A request for environment cm/prod, just received, for attempt 2 allowed on cm/prod. */
const facts = (f: Partial<ProtectionFacts>): ProtectionFacts => ({
  gatherError: null,
  attempt: 2,
  decision: allowedFor("cm/prod"),
  environment: "cm/prod",
  environments: { production: "cm/prod" },
  receivedAt: waited(0),
  now: NOW,
  ...f,
});

describe("the answer to a deployment protection request", () => {
  it.each<[string, Partial<ProtectionFacts>, boolean | "waits", string]>([
    ["an allowed attempt of the environment's lane", {}, true, "lanegate allowed this run for cm/prod"],
    ["an environment named as the lane in another case", { environment: " CM/Prod " }, true, "for cm/prod"],
    ["an environment the config maps to the lane", { environment: "production" }, true, "for cm/prod"],
    [
      "an allowed attempt of another lane",
      { decision: allowedFor("cm/testing") },
      false,
      "this run was decided for cm/testing, not cm/prod",
    ],
    [
      "a refused attempt of the lane",
      { decision: refusedFor("cm/prod", "no_grant") },
      false,
      "lanegate refused this run for cm/prod (no_grant)",
    ],
    [
      "a refused attempt with no reason stored",
      { decision: refusedFor("cm/prod", null) },
      false,
      "lanegate refused this run for cm/prod (refused)",
    ],
    [
      "a refused attempt whose request named no lane",
      { decision: refusedFor(null, "bad_lane") },
      false,
      "this run was decided for no lane, not cm/prod",
    ],
    [
      "an environment that is no lane",
      { environment: "staging" },
      false,
      "environment staging maps to no lane",
    ],
    [
      "an environment that is no lane, for an allowed decision that names none",
      { environment: "staging", decision: { allowed: true, lane: null, reason: "ok" } },
      false,
      "environment staging maps to no lane",
    ],
    [
      "an environment named like an object's own property",
      { environment: "constructor" },
      false,
      "environment constructor maps to no lane",
    ],
    [
      "an allowed attempt when GitHub could not say which attempt runs",
      { gatherError: "GET /runs/7: 502", attempt: null },
      false,
      "lanegate could not gather the facts from GitHub (github_unavailable): GET /runs/7: 502",
    ],
    [
      "no decision yet, and GitHub could not say which attempt runs",
      { gatherError: "GET /runs/7: 502", decision: null },
      false,
      "(github_unavailable)",
    ],
    ["no decision yet, just received", { decision: null }, "waits", ""],
    [
      "no decision yet, waiting exactly the grace period",
      { decision: null, receivedAt: waited(PROTECTION_GRACE_MS) },
      "waits",
      "",
    ],
    [
      "no decision yet, past the grace period",
      { decision: null, receivedAt: waited(PROTECTION_GRACE_MS + 1) },
      false,
      "lanegate has no decision for attempt 2 of this run",
    ],
  ])("%s", (_what, f, expected, comment) => {
    const answer = protectionAnswer(facts(f));
    if (expected === "waits") {
      expect(answer).toBeNull();
      return;
    }
    expect(answer?.approved).toBe(expected);
    expect(answer?.comment).toContain(comment);
  });
});
