// Deliveries are triggers, not the truth: whatever order they arrive in, and however often, the
// lanes end in the state GitHub's final truth implies.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Delivery, Standin } from "../../standin/index.ts";
import { CM_OPW_BODY, createWorld, REPO } from "../support/world.ts";

const LANES = ["cm/testing", "cm/prod", "opw/testing", "opw/prod"];
const later = (body: string) => body.replace("2027-03-31", "2027-06-30");

/** Each lifecycle plays GitHub forward and returns every delivery GitHub would have sent. */
const LIFECYCLES: Record<string, (gh: Standin) => Delivery[]> = {
  "approved, edited by an operator, then re-approved by an admin's edit": (gh) => {
    const o = gh.openIssue(REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    return [
      ...o.deliveries,
      gh.addLabel(REPO, o.number, "lane-policy", "mia"),
      gh.editIssueBody(REPO, o.number, later(CM_OPW_BODY), "olivia"),
      gh.editIssueBody(
        REPO,
        o.number,
        later(later(CM_OPW_BODY)).replace("not launched yet", "still not launched"),
        "max",
      ),
    ];
  },
  "approved, then edited by an operator": (gh) => {
    const o = gh.openIssue(REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    return [
      ...o.deliveries,
      gh.addLabel(REPO, o.number, "lane-policy", "mia"),
      gh.editIssueBody(REPO, o.number, later(CM_OPW_BODY), "olivia"),
    ];
  },
  "approved, closed, reopened": (gh) => {
    const o = gh.openIssue(REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    return [
      ...o.deliveries,
      gh.addLabel(REPO, o.number, "lane-policy", "mia"),
      gh.closeIssue(REPO, o.number, "olivia"),
      gh.reopenIssue(REPO, o.number, "olivia"),
    ];
  },
  "labelled by triage, then by a maintainer": (gh) => {
    const o = gh.openIssue(REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    return [
      ...o.deliveries,
      gh.addLabel(REPO, o.number, "lane-policy", "tara"),
      gh.removeLabel(REPO, o.number, "lane-policy", "mia"),
      gh.addLabel(REPO, o.number, "lane-policy", "mia"),
    ];
  },
};

async function finalStates(lifecycle: string, order: (deliveries: Delivery[]) => Delivery[]) {
  const w = await createWorld();
  const deliveries = LIFECYCLES[lifecycle]?.(w.gh) ?? [];
  await w.send(...order(deliveries));
  expect(w.problems).toEqual([]);
  const states = await Promise.all(LANES.map((l) => w.state(l)));
  // Thirty worlds in one test: each closes its store now, so that on PostgreSQL their pools do
  // not hold the server's connections until the test ends.
  await w.db.close();
  return states;
}

describe("delivery order", () => {
  it("does not change the final lane states, whatever the order and however many duplicates", async () => {
    const expected = new Map<string, string[]>();
    for (const name of Object.keys(LIFECYCLES)) expected.set(name, await finalStates(name, (d) => d));
    expect([...expected.values()].flat()).toContain("active");
    expect([...expected.values()].flat()).toContain("suspended");

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(LIFECYCLES)),
        fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        async (name, keys, duplicates) => {
          const shuffle = (deliveries: Delivery[]) => {
            const shuffled = deliveries
              .map((d, i) => ({ d, key: keys[i % keys.length] ?? 0 }))
              .sort((a, b) => a.key - b.key)
              .map((x) => x.d);
            return [...shuffled, ...duplicates.map((i) => shuffled[i % shuffled.length] as Delivery)];
          };
          expect(await finalStates(name, shuffle)).toEqual(expected.get(name));
        },
      ),
      { numRuns: 30 },
    );
    // Thirty-three worlds: on PostgreSQL each is a database of its own, cloned and dropped.
  }, 180_000);
});
