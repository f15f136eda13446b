// Scenario tests run lanegate against the local stand-in for GitHub: the stand-in plays GitHub
// (state, events, webhook payloads) and the app reads its truth from it over HTTP.
import type { Logger } from "probot";
import { afterEach } from "vitest";
import { type Db, read } from "../../src/adapters/store/db.ts";
import { oneLaneView } from "../../src/adapters/store/read.ts";
import type { SyncDeps } from "../../src/pipelines/deps.ts";
import { type Delivery, type RunningStandin, Standin, startStandin } from "../../standin/index.ts";
import { cmOpwApprovalBody, DEMO_CONFIG, DEMO_REPO } from "../../standin/world.ts";
import { APP_ID, createTestApp, type TestApp } from "./app.ts";
import { checkWebhookPayload } from "./openapi.ts";

export { DEMO_REPO as REPO };

const [OWNER = "", NAME = ""] = DEMO_REPO.split("/");
export const REF = { owner: OWNER, repo: NAME };

export interface World extends TestApp {
  gh: Standin;
  running: RunningStandin;
  deps: SyncDeps;
  /** Delivers through Probot, after checking the payload against GitHub's webhook schema. */
  send(...deliveries: Delivery[]): Promise<void>;
  state(lane: string): Promise<string>;
  comment(number: number): string;
  advance(minutes: number): void;
}

const open: RunningStandin[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

export async function createWorld(
  options: { config?: string; db?: Db; paced?: boolean; log?: Logger; docsUrl?: string } = {},
): Promise<World> {
  const gh = new Standin({ appId: APP_ID });
  const running = await startStandin({ standin: gh });
  open.push(running);
  gh.addRepo(DEMO_REPO);
  gh.setFile(DEMO_REPO, ".github/lanegate.yml", options.config ?? DEMO_CONFIG);
  gh.setCollaborator(DEMO_REPO, "olivia", "write");
  gh.setCollaborator(DEMO_REPO, "mia", "maintain");
  gh.setCollaborator(DEMO_REPO, "max", "admin");
  gh.setCollaborator(DEMO_REPO, "tara", "triage");
  const { db, paced, log, docsUrl } = options;
  const t = await createTestApp({ baseUrl: `${running.url}/api/v3`, db, paced, log, docsUrl });
  gh.clock = () => t.clock.now;
  const problems = t.problems;
  const deps: SyncDeps = {
    db: t.db,
    appId: APP_ID,
    now: () => t.clock.now,
    log: { info: () => undefined, warn: () => undefined },
  };
  return {
    ...t,
    gh,
    running,
    deps,
    async send(...deliveries) {
      for (const d of deliveries) {
        const payload = d.payload as { action?: string };
        problems.push(...checkWebhookPayload(d.name, payload.action, d.payload));
        await t.probot.receive({ id: d.id, name: d.name, payload } as never);
      }
    },
    state: async (lane) => (await read(t.db, (q) => oneLaneView(q, DEMO_REPO, lane))).state,
    comment(number) {
      const comments = gh.issue(DEMO_REPO, number).comments;
      const ours = comments.filter((c) => c.body.includes("<!-- lanegate:status -->"));
      if (ours.length !== 1)
        throw new Error(`expected one status comment on #${number}, found ${ours.length}`);
      return ours[0]?.body ?? "";
    },
    advance(minutes) {
      t.clock.now = new Date(t.clock.now.getTime() + minutes * 60_000);
    },
  };
}

export const CM_OPW_BODY = cmOpwApprovalBody();
