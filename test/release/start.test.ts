// `npm start` as a newcomer runs it: the playground plays the story and keeps serving, and a
// SIGTERM to npm (what a process manager sends) stops the server too, leaving no orphan.
import { resolve } from "node:path";
import { expect, it } from "vitest";
import { groupAlive, killGroup, start, until } from "./process.ts";

it("npm start serves the playground and leaves no process behind after SIGTERM", async () => {
  const port = String(40_000 + Math.floor(Math.random() * 20_000));
  // An App configured in the developer's .env must not turn this into a real server.
  const env = { ...process.env, PORT: port, APP_ID: "", PRIVATE_KEY: "", PRIVATE_KEY_PATH: "" };
  const npm = start("npm", ["start"], { cwd: resolve(import.meta.dirname, "../.."), env });
  try {
    await until(
      "the playground",
      async () => (npm.output().includes("Ctrl-C stops it.") ? true : undefined),
      60_000,
    );
    const lanes = await fetch(`http://localhost:${port}/lanegate/api/repos/acme/platform/lanes`);
    expect(((await lanes.json()) as { lanes: unknown[] }).lanes.length).toBeGreaterThan(0);
    expect(npm.output()).toContain("data/playground.sqlite");
    process.kill(npm.child.pid ?? 0, "SIGTERM");
    await npm.exited;
    await until("the group to exit", async () => (groupAlive(npm.child.pid ?? 0) ? undefined : true), 15_000);
    await expect(fetch(`http://localhost:${port}/healthz`)).rejects.toThrow();
  } finally {
    killGroup(npm.child.pid);
  }
}, 90_000);
