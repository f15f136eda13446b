// A check run says when lanegate decided, by lanegate's own clock: the time tests and the
// stand-in's playground set, not the machine's wall clock.
import { describe, expect, it } from "vitest";
import { result } from "../../standin/artifacts.ts";
import { allowedRun, complete, evidenceChecks, upload } from "../support/evidence.ts";
import { newest } from "../support/gate.ts";
import { createWorld } from "../support/world.ts";

describe("the time on a check run", () => {
  it("is the injected clock's, for the gate's check run and the evidence check run", async () => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    expect(newest(w, runId)?.completedAt?.toISOString()).toBe(w.clock.now.toISOString());
    w.advance(7);
    upload(w, runId, result({ lane: "cm/testing" }));
    await complete(w, runId);
    const [evidence] = evidenceChecks(w);
    expect(evidence?.completedAt?.toISOString()).toBe(w.clock.now.toISOString());
  });
});
