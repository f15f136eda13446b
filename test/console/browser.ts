// Debian's Chromium driven by playwright-core (never a downloaded browser), the playground's story
// served to it, and what every page must satisfy: no console error, no serious axe finding.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { vi } from "vitest";
import { playStory } from "../../standin/story.ts";
import { freePort } from "../support/ports.ts";

export const CHROMIUM = "/usr/bin/chromium";
/** Without the background-networking flags Chromium's own connections are refused many at a time. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Screenshots of every page: test artifacts, not committed. */
export const SHOTS = resolve(import.meta.dirname, "../../test-artifacts/console");

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export function launch(): Promise<Browser> {
  // playwright-core gives every launch a fresh profile directory of its own.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

export async function playground(dir: string) {
  const port = await freePort();
  // The story narrates every step; the tests read the pages instead.
  const quiet = vi.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    const story = await playStory({ dbFile: join(dir, "playground.sqlite"), port: String(port) });
    return { ...story, base: `http://localhost:${port}` };
  } finally {
    quiet.mockRestore();
  }
}

/** A page that records console errors and uncaught exceptions as they happen. */
export async function watchedPage(context: BrowserContext) {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  return { page, errors };
}

/** Signs in through the stand-in's OAuth pages as `login`, from any console page. */
export async function signIn(page: Page, base: string, login: string, path = "/lanegate/") {
  await page.goto(`${base}${path}`);
  await page.getByRole("link", { name: `Sign in as ${login}` }).click();
  await page.waitForURL(`${base}${path}`);
}

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }[];
}

/** axe-core's serious and critical findings on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's script-free CSP does not govern.
  await page.evaluate(axeSource);
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as AxeResult;
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")})`);
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
