// Which failed deliveries the redelivery check asks GitHub for again: only one whose redelivery
// was answered 503 (another replica's claim held it, or lanegate was stopping), and only while
// GitHub has tried it fewer than MAX_ATTEMPTS times.
import { describe, expect, it } from "vitest";
import type { HookDelivery } from "../../src/adapters/github/app.ts";
import { asksAgain, failedDeliveries, MAX_ATTEMPTS } from "../../src/pipelines/redeliver.ts";

/** GitHub's attempts of one delivery, oldest first, each answered with the given status. */
function attempts(...statuses: number[]): HookDelivery[] {
  return statuses.map((status_code, i) => ({
    id: 100 + i,
    guid: "guid-1",
    delivered_at: `2026-12-03T10:0${i}:00Z`,
    redelivery: i > 0,
    status: `Invalid HTTP Response: ${status_code}`,
    status_code,
    event: "issues",
    action: "labeled",
  }));
}

const newest = (list: HookDelivery[]) => {
  const [failed] = failedDeliveries(list);
  if (!failed) throw new Error("no failed delivery");
  return failed;
};

const askedAbout = { hookDeliveryId: 100, result: "asked" };

describe("asking again for a delivery asked for before", () => {
  it("asks again when GitHub's redelivery was answered 503", () => {
    expect(asksAgain(askedAbout, newest(attempts(502, 503)))).toBe(true);
  });

  it("does not ask again when the redelivery failed in the handler itself", () => {
    expect(asksAgain(askedAbout, newest(attempts(502, 500)))).toBe(false);
  });

  it("does not ask again before GitHub has tried the delivery again", () => {
    expect(asksAgain({ hookDeliveryId: 101, result: "asked" }, newest(attempts(502, 503)))).toBe(false);
  });

  it("does not ask again when the first request never finished or failed", () => {
    for (const result of ["claimed", "failed: 422"])
      expect(asksAgain({ hookDeliveryId: 100, result }, newest(attempts(502, 503))), result).toBe(false);
  });

  it("stops after MAX_ATTEMPTS attempts of one delivery", () => {
    const tried = (n: number) => attempts(502, ...Array.from({ length: n - 1 }, () => 503));
    expect(asksAgain(askedAbout, newest(tried(MAX_ATTEMPTS - 1)))).toBe(true);
    expect(asksAgain(askedAbout, newest(tried(MAX_ATTEMPTS)))).toBe(false);
  });
});
