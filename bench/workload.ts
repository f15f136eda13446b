// The benchmark's workload: approval issues that go through the five `issues` deliveries an
// approval issue usually sees, acted out on the stand-in so every delivery is the payload GitHub
// would send and the state the app reads back matches it.

import type { Delivery, Standin } from "../standin/index.ts";
import { DEMO_REPO } from "../standin/world.ts";

export const KINDS = ["opened", "labeled", "edited by approver", "edited by non-approver", "closed"] as const;
export type Kind = (typeof KINDS)[number];

export interface Step {
  kind: Kind;
  lanes: number;
  delivery: Delivery;
}

const AUTHOR = "olivia"; // write access: may open and edit, may not approve
const APPROVER = "mia"; // maintain: approves

/** A valid block with `lanes` resettable lanes; `revision` changes the block (and so its sha256). */
export function policyBody(lanes: number, revision: number): string {
  const rows = Array.from({ length: lanes }, (_, i) =>
    [
      `  l${i}/testing:`,
      "    data_authority: resettable",
      "    allowed_rebuild_sources: [empty]",
      `    confirmation: bootstrap l${i} testing r${revision}`,
    ].join("\n"),
  );
  return [
    `Benchmark approval issue, revision ${revision}.`,
    "",
    "```lane-policy",
    "lanes:",
    ...rows,
    // Far in the future so no grant expires during the run.
    "expires_at: 2099-01-01T00:00:00Z",
    "retire_when: the benchmark ends",
    "```",
    "",
  ].join("\n");
}

/**
 * One approval issue's life. Each step changes the stand-in only when it is taken, so the app
 * reads the state that goes with the delivery. Every issue reuses the same lane names: the
 * previous issue is closed (its grants retired) before the next one opens, so nothing conflicts.
 */
export function* issueLife(gh: Standin, lanes: number): Generator<Step> {
  const opened = gh.openIssue(DEMO_REPO, { author: AUTHOR, title: "bench", body: policyBody(lanes, 1) });
  const number = opened.number;
  const [delivery] = opened.deliveries;
  if (!delivery) throw new Error("openIssue returned no delivery");
  yield { kind: "opened", lanes, delivery };
  yield { kind: "labeled", lanes, delivery: gh.addLabel(DEMO_REPO, number, "lane-policy", APPROVER) };
  yield {
    kind: "edited by approver",
    lanes,
    delivery: gh.editIssueBody(DEMO_REPO, number, policyBody(lanes, 2), APPROVER),
  };
  yield {
    kind: "edited by non-approver",
    lanes,
    delivery: gh.editIssueBody(DEMO_REPO, number, policyBody(lanes, 3), AUTHOR),
  };
  yield { kind: "closed", lanes, delivery: gh.closeIssue(DEMO_REPO, number, AUTHOR) };
}

/** `count` deliveries, issues alternating between the two lane counts. */
export function* workload(gh: Standin, count: number, laneCounts: readonly number[]): Generator<Step> {
  let made = 0;
  for (let issue = 0; made < count; issue += 1) {
    const lanes = laneCounts[issue % laneCounts.length] ?? 4;
    for (const step of issueLife(gh, lanes)) {
      if (made >= count) return;
      made += 1;
      yield step;
    }
  }
}
