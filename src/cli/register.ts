// `lanegate register`: GitHub's App manifest flow, as Probot's setup mode runs it, from app.yml.
// A local page posts the manifest to GitHub; GitHub creates the App and redirects back with a
// code; the code is traded for the App's credentials, which are written to .env.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { ProbotOctokit } from "probot";
import { parse } from "yaml";
import { convertManifest, type NewApp } from "../adapters/github/manifest.ts";
import { type Command, positiveInt, UsageError } from "./spec.ts";

const APP_YML = new URL("../../app.yml", import.meta.url);

function githubUrls(org: string | undefined) {
  const host = process.env.GHE_HOST;
  const web = host ? `${process.env.GHE_PROTOCOL ?? "https"}://${host}` : "https://github.com";
  return {
    api: host ? `${web}/api/v3` : "https://api.github.com",
    createApp: `${web}${org ? `/organizations/${encodeURIComponent(org)}` : ""}/settings/apps/new`,
  };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** `.env` with the new App's credentials; other lines already there are kept. */
function writeEnv(dir: string, app: NewApp) {
  const file = join(dir, ".env");
  let existing: Record<string, string | undefined> = {};
  try {
    existing = parseEnv(readFileSync(file, "utf8"));
  } catch {
    // no .env yet
  }
  const values: Record<string, string | undefined> = {
    ...existing,
    APP_ID: String(app.id),
    PRIVATE_KEY: app.pem,
    WEBHOOK_SECRET: app.webhook_secret ?? randomBytes(20).toString("hex"),
    GITHUB_CLIENT_ID: app.client_id,
    GITHUB_CLIENT_SECRET: app.client_secret,
  };
  // Double quotes keep the key on one line: the parser turns \n back into newlines.
  const line = ([key, value]: [string, string | undefined]) =>
    /[\n"#\s]/.test(value ?? "")
      ? `${key}="${(value ?? "").replace(/\n/g, "\\n")}"`
      : `${key}=${value ?? ""}`;
  writeFileSync(file, `${Object.entries(values).map(line).join("\n")}\n`, { mode: 0o600 });
}

export const register: Command = {
  name: "register",
  args: [],
  summary: "create lanegate's GitHub App from app.yml and write its credentials to .env",
  description: `Serves a page on http://localhost:<port>/ that sends app.yml's manifest to GitHub. Create the App
there; GitHub redirects back here, and lanegate writes APP_ID, PRIVATE_KEY and WEBHOOK_SECRET to
.env in the current directory. Set GHE_HOST (and GHE_PROTOCOL) for GitHub Enterprise Server.`,
  options: {
    url: {
      type: "string",
      value: "url",
      description: "where lanegate will be reachable; webhooks go to <url>/api/github/webhooks",
      default: "https://example.invalid, to edit in the App's settings later",
    },
    org: {
      type: "string",
      value: "login",
      description: "create the App in this organization",
      default: "your account",
    },
    port: {
      type: "string",
      value: "n",
      description: "local port for the page and the redirect",
      default: "3000",
    },
  },
  standalone: true,
  async run(_args, values) {
    const port = positiveInt(values, "port", 3000) ?? 3000;
    const base = typeof values.url === "string" ? values.url.replace(/\/$/, "") : "https://example.invalid";
    if (!/^https?:\/\//.test(base)) throw new UsageError(`--url takes an http(s) URL, not "${base}"`);
    const org = typeof values.org === "string" ? values.org : undefined;
    const urls = githubUrls(org);
    const manifest = {
      ...(parse(readFileSync(APP_YML, "utf8")) as Record<string, unknown>),
      hook_attributes: { url: `${base}/api/github/webhooks` },
      // The console's sign-in returns here (GitHub checks the redirect against this list).
      callback_urls: [`${base}/lanegate/login/callback`],
      redirect_url: `http://localhost:${port}/register/done`,
    };
    const octokit = new ProbotOctokit({ baseUrl: urls.api });
    return await new Promise<number>((resolve) => {
      const server = createServer(async (req, res) => {
        const url = new URL(req.url ?? "/", `http://localhost:${port}`);
        if (url.pathname === "/") {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(
            `<!doctype html><title>Register lanegate</title>
<form action="${escapeHtml(urls.createApp)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button>Create lanegate's GitHub App</button></form>`,
          );
          return;
        }
        const code = url.pathname === "/register/done" ? url.searchParams.get("code") : null;
        if (!code) {
          res.writeHead(404).end();
          return;
        }
        try {
          const app = await convertManifest(octokit, code);
          writeEnv(process.cwd(), app);
          res
            .writeHead(200, { "content-type": "text/plain" })
            .end(`Created ${app.html_url}. Install it, then start lanegate.\n`);
          console.log(
            `Created ${app.html_url} (App id ${app.id}); its credentials are in .env. Install the App on your repositories.`,
          );
          server.close(() => resolve(0));
        } catch (error) {
          res
            .writeHead(502, { "content-type": "text/plain" })
            .end(`GitHub refused the code: ${(error as Error).message}\n`);
          console.error(`lanegate register: GitHub refused the code: ${(error as Error).message}`);
          server.close(() => resolve(1));
        }
      });
      server.listen(port, "127.0.0.1", () =>
        console.log(`Open http://localhost:${port}/ to create lanegate's GitHub App.`),
      );
    });
  },
};
