// A clean stop: deliveries in flight finish, the wait is bounded, SQLite is checkpointed and closed.
import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { databasePath } from "../../src/adapters/store/db.ts";
import { deliver } from "../../standin/index.ts";
import { DEMO_REPO, startLocalGitHub } from "../../standin/world.ts";
import { boot, onCleanup, tempDatabase } from "../support/http.ts";
import { CM_OPW_BODY } from "../support/world.ts";

async function slowGitHub(shutdownSeconds = "10") {
  const local = await startLocalGitHub();
  onCleanup(() => local.running.close());
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let held = () => {};
  const holding = new Promise<void>((resolve) => {
    held = resolve;
  });
  // The issue read is the first call of the issues handler: holding it keeps a delivery in flight.
  local.standin.holdAnswer = (method, path) => {
    if (method !== "GET" || !/\/issues\/\d+$/.test(path)) return undefined;
    held();
    return released;
  };
  const url = tempDatabase();
  const app = await boot(local, url, { env: { LANEGATE_SHUTDOWN_SECONDS: shutdownSeconds } });
  const opened = local.standin.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
  const [first] = opened.deliveries;
  if (!first) throw new Error("openIssue returned no delivery");
  const answered = deliver(app.hook, local.env.WEBHOOK_SECRET ?? "", first);
  await holding;
  return { app, release, answered, url };
}

describe("stopping the service", () => {
  it("lets a delivery in flight finish, then checkpoints and closes the database", async () => {
    const { app, release, answered, url } = await slowGitHub();
    const stopped = app.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(app.db.open).toBe(true);
    release();
    expect(await answered).toBe(200);
    await stopped;
    expect(app.db.open).toBe(false);
    expect(statSync(`${databasePath(url)}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
  });

  it("takes no new deliveries once stopping", async () => {
    const { app, release, answered } = await slowGitHub();
    const stopped = app.stop();
    const later = await fetch(`${app.base}/healthz`).then(
      (r) => r.status,
      () => "refused",
    );
    expect(later).toBe("refused");
    release();
    await answered;
    await stopped;
  });

  it("stops waiting for a stuck delivery after LANEGATE_SHUTDOWN_SECONDS", async () => {
    const { app, release } = await slowGitHub("1");
    const started = Date.now();
    await app.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(app.db.open).toBe(false);
    release();
  });
});
