// What a replica does with a delivery its claim did not take, read from the record just after.
import { describe, expect, it } from "vitest";
import { CLAIM_ATTEMPTS, untakenClaim } from "../../src/core/deliveries.ts";

const record = (state: string) => ({ state, holder: "vm:42:abc", expiresAt: "2026-12-03T10:00:30.000Z" });

describe("a claim that did not take the delivery", () => {
  it("skips an applied delivery", () => {
    expect(untakenClaim(record("applied"), 1)).toEqual({ kind: "skip", why: "already applied" });
  });

  it("claims again a delivery whose holder failed in between, a bounded number of times", () => {
    for (let attempt = 1; attempt < CLAIM_ATTEMPTS; attempt++)
      expect(untakenClaim(record("failed"), attempt)).toEqual({ kind: "claim again" });
    expect(untakenClaim(record("failed"), CLAIM_ATTEMPTS)).toEqual({
      kind: "elsewhere",
      why: "its claim is changing hands (failed)",
    });
  });

  it("leaves a delivery another replica holds to it, naming the holder and the claim's end", () => {
    expect(untakenClaim(record("claimed"), 1)).toEqual({
      kind: "elsewhere",
      why: "being applied by vm:42:abc (claim until 2026-12-03T10:00:30.000Z)",
    });
  });

  it("never calls a delivery with no record applied", () => {
    expect(untakenClaim(undefined, 1)).toEqual({
      kind: "elsewhere",
      why: "its claim is changing hands (no record)",
    });
  });
});
