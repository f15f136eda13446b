// lanegate's own log lines are JSON with what they are about: a gate decision names the
// repository, the run, the lane, the decision and its reason code.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { approved, dispatch, inputs } from "../support/gate.ts";
import { createWorld } from "../support/world.ts";

describe("log lines", () => {
  it("carry the repository, run, lane, decision and reason code of each gate decision", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const w = await createWorld({ log });
    await approved(w);
    const allowed = await dispatch(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    const refused = await dispatch(w, inputs("cm/prod", "empty", "bootstrap cm nope"));
    expect(lines).toContainEqual(
      expect.objectContaining({
        repository: "acme/platform",
        run_id: allowed,
        lane: "cm/testing",
        decision: "allowed",
        reason: "ok",
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        run_id: refused,
        lane: "cm/prod",
        decision: "refused",
        reason: "wrong_confirmation",
      }),
    );
  });
});
