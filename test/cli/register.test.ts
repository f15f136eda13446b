// `lanegate register` against the stand-in's manifest conversion endpoint: the page posts app.yml's
// manifest to GitHub, the redirect's code becomes the App's credentials in .env.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readServiceEnv, withDotenv } from "../../src/env.ts";
import { startLocalGitHub } from "../../standin/world.ts";
import { killGroup, start, until } from "../release/process.ts";
import { PRIVATE_KEY } from "../support/app.ts";
import { onCleanup } from "../support/http.ts";
import { checkRequest } from "../support/openapi.ts";

describe("lanegate register", () => {
  it("runs the manifest flow from app.yml and writes the new App's credentials to .env", async () => {
    const local = await startLocalGitHub();
    onCleanup(() => local.running.close());
    local.standin.manifestCodes.set("code-1", { pem: PRIVATE_KEY, webhookSecret: "whsec-from-github" });
    const dir = mkdtempSync(join(tmpdir(), "lanegate-register-"));
    writeFileSync(join(dir, ".env"), "LOG_LEVEL=debug\n");
    const port = String(40_000 + Math.floor(Math.random() * 20_000));
    const bin = resolve(import.meta.dirname, "../../bin/lanegate.js");
    const env = { PATH: process.env.PATH, GHE_HOST: local.env.GHE_HOST, GHE_PROTOCOL: "http" };
    const cli = start("node", [bin, "register", "--port", port, "--url", "https://lanegate.acme.test"], {
      cwd: dir,
      env,
    });
    try {
      await until("the page", async () => (cli.output().includes("Open http") ? true : undefined), 20_000);
      const page = await (await fetch(`http://localhost:${port}/`)).text();
      expect(page).toContain(`action="${local.running.url}/settings/apps/new"`);
      const manifest = JSON.parse(
        (/name="manifest" value="([^"]*)"/.exec(page)?.[1] ?? "")
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, "&"),
      ) as Record<string, unknown>;
      expect(manifest).toMatchObject({
        name: "lanegate",
        hook_attributes: { url: "https://lanegate.acme.test/api/github/webhooks" },
        callback_urls: ["https://lanegate.acme.test/lanegate/login/callback"],
        redirect_url: `http://localhost:${port}/register/done`,
      });
      const appYml = parse(readFileSync(resolve(import.meta.dirname, "../../app.yml"), "utf8")) as Record<
        string,
        unknown
      >;
      expect(manifest.default_events).toEqual(appYml.default_events);
      expect(manifest.default_permissions).toEqual(appYml.default_permissions);
      const done = await fetch(`http://localhost:${port}/register/done?code=code-1`);
      expect(done.status).toBe(200);
      expect(await cli.exited).toBe(0);
    } finally {
      killGroup(cli.child.pid);
    }
    const written = withDotenv({}, dir);
    expect(written.LOG_LEVEL).toBe("debug");
    expect(readServiceEnv(written)).toMatchObject({
      APP_ID: 1,
      WEBHOOK_SECRET: "whsec-from-github",
      privateKey: PRIVATE_KEY,
    });
    const conversion = local.standin.requests.filter((r) => r.path.startsWith("/app-manifests/"));
    expect(conversion.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "POST /app-manifests/code-1/conversions 201",
    ]);
    expect(
      checkRequest("POST", "https://api.github.com/app-manifests/code-1/conversions", conversion[0]?.body),
    ).toEqual([]);
  });
});
