// The gate pipeline on stored facts alone: a store holding a repository's config, the gathered
// facts read from it with no GitHub and no HTTP, and the core's decision on them.

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type Db, openDatabase, transaction } from "../../src/adapters/store/db.ts";
import { recordConfig, recordDefaultBranch } from "../../src/adapters/store/repositories.ts";
import { composeConfig } from "../../src/core/config/load.ts";
import type { Decision } from "../../src/core/gate/decision.ts";
import { simulate } from "../../src/pipelines/gate/simulate.ts";
import { DEMO_CONFIG, DEMO_REPO } from "../../standin/demo.ts";

const NOW = new Date("2026-11-23T10:00:00Z");
const deps = (db: Db) => ({ db, appId: 1, now: () => NOW, log: { info: () => {}, warn: () => {} } });

async function storeOf(config: Record<string, unknown>, defaultBranch: string | null = "main"): Promise<Db> {
  const db = openDatabase(":memory:");
  const [owner = "", repo = ""] = DEMO_REPO.split("/");
  const load = composeConfig([{ owner, repo, path: ".github/lanegate.yml", etag: null, config }]);
  await transaction(db, async (q) => {
    await recordConfig(q, DEMO_REPO, 7, load, NOW);
    if (defaultBranch) await recordDefaultBranch(q, DEMO_REPO, defaultBranch);
  });
  return db;
}

const refusal = (d: Decision) => d.checks.find((c) => !c.ok)?.code;

describe("the gate pipeline on stored facts", () => {
  it("refuses a lane neither the config nor an approval issue names, with unknown_lane", async () => {
    const db = await storeOf(parse(DEMO_CONFIG));
    const decision = await simulate(deps(db), DEMO_REPO, "cm/prod", "empty", "bootstrap cm prod");
    expect(decision.allowed).toBe(false);
    expect(refusal(decision)).toBe("unknown_lane");
  });

  it("refuses a lane the config names but no approval issue grants, with no_grant", async () => {
    const db = await storeOf(parse(DEMO_CONFIG));
    const decision = await simulate(deps(db), DEMO_REPO, "syo/prod", "empty", "x");
    expect(decision.allowed).toBe(false);
    expect(refusal(decision)).toBe("no_grant");
  });

  it("refuses a lane name that is no lane, with bad_lane", async () => {
    const db = await storeOf(parse(DEMO_CONFIG));
    const decision = await simulate(deps(db), DEMO_REPO, "not-a-lane", "empty", "x");
    expect(refusal(decision)).toBe("bad_lane");
  });
});
