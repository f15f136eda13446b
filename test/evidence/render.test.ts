import { describe, expect, it } from "vitest";
import { renderEvidenceCheck } from "../../src/core/evidence/render.ts";
import { result } from "../../standin/artifacts.ts";

const report = (runtime_identity: ReturnType<typeof result>["runtime_identity"]) =>
  renderEvidenceCheck({
    lane: "cm/testing",
    step: { row: "identity_unproven", outcome: "identity_unproven", reason: "runtime identity mismatch" },
    inventory: { state: "identity_unproven", current_deployment: null },
    artifact: result({ runtime_identity }),
    error: null,
    phases: [],
    runUrl: null,
  });

describe("the evidence check run's text", () => {
  it("shows the identity lanegate believed, and why, when a match contradicts its own values", () => {
    const text = report({
      status: "match",
      expected: { artifact_id: "a1" },
      observed: { artifact_id: "a2" },
    });
    expect(text.conclusion).toBe("failure");
    expect(text.summary).toContain(
      "| runtime identity | mismatch (the result says match but expected and observed differ in artifact_id) |",
    );
  });

  it("shows a believed match as the result reported it", () => {
    const text = report({
      status: "match",
      expected: { artifact_id: "a1" },
      observed: { artifact_id: "a1" },
    });
    expect(text.summary).toContain("| runtime identity | match |");
  });
});
