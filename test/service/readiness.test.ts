// Readiness of the timers: a job that missed two beats makes the service not ready.
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/adapters/store/db.ts";
import { readiness } from "../../src/service/health.ts";
import { Lifecycle } from "../../src/service/lifecycle.ts";
import { createMetrics } from "../../src/service/metrics.ts";

describe("readiness of the timers", () => {
  it("turns not ready when a job has not finished for two of its periods, and ready again when it runs", async () => {
    const db = openDatabase(":memory:");
    const clock = { now: new Date("2026-11-28T10:00:00Z") };
    const lifecycle = new Lifecycle(createMetrics(db), () => clock.now);
    lifecycle.every("sweep", 60_000, async () => undefined);
    expect((await readiness(db, lifecycle)).checks.timers).toMatchObject({ ok: true });
    clock.now = new Date("2026-11-28T10:03:00Z");
    expect(await readiness(db, lifecycle)).toMatchObject({
      ready: false,
      checks: { timers: { ok: false, detail: "late: sweep (last 2026-11-28T10:00:00.000Z)" } },
    });
    await lifecycle.run("sweep", async () => undefined);
    expect((await readiness(db, lifecycle)).ready).toBe(true);
    await lifecycle.drain(100);
  });
});
