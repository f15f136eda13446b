// The console in a real browser (Debian's Chromium) against the playground's story: sign-in through
// the stand-in's OAuth pages, every page's content, who sees what, the re-run action, axe-core and
// the browser console, page times, and a phone's width. Run alone: npx vitest run test/console
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_REPO } from "../../standin/world.ts";
import { launch, playground, screenshot, seriousViolations, signIn, watchedPage } from "./browser.ts";

let browser: Browser;
let world: Awaited<ReturnType<typeof playground>>;
const contexts: BrowserContext[] = [];
/** Server time of every page shown, for the report and the 100 ms budget. */
const timings: Record<string, number> = {};

beforeAll(async () => {
  world = await playground(mkdtempSync(join(tmpdir(), "lanegate-console-")));
  browser = await launch();
}, 60_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await world?.app.stop();
  await world?.local.running.close();
  console.info(`console page server times (ms): ${JSON.stringify(timings)}`);
});

async function person(login: string, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const { page, errors } = await watchedPage(context);
  await signIn(page, world.base, login);
  return { context, page, errors };
}

const console_ = (path: string) => `${world.base}/lanegate${path}`;
const repoPath = `/repos/${DEMO_REPO}`;

interface Audit {
  entries: { subject: string; change: string }[];
}

/** A refused run of the story, found in the audit log by what its decision said. */
async function refusedRun(page: Page, lane: string, said: string): Promise<number> {
  const res = await page.request.get(console_(`/audit?kind=gate&lane=${lane}`), {
    headers: { accept: "application/json" },
  });
  const line = ((await res.json()) as Audit).entries.find((e) => e.change.includes(said));
  const id = Number(/^run (\d+)/.exec(line?.subject ?? "")?.[1]);
  expect(id).toBeGreaterThan(0);
  return id;
}

/** Opens a page and checks what every page must: 200, quick, accessible, screenshot taken. */
async function visit(page: Page, path: string, name: string) {
  const res = await page.goto(console_(path));
  expect(res?.status(), path).toBe(200);
  const ms = Number(/dur=([\d.]+)/.exec(res?.headers()["server-timing"] ?? "")?.[1]);
  timings[name] = ms;
  expect(ms, `${path} server time`).toBeLessThan(100);
  expect(await seriousViolations(page), path).toEqual([]);
  await screenshot(page, name);
  return page.locator("main");
}

describe("the operator console in Chromium", () => {
  it("signs in through GitHub's OAuth pages with state and PKCE, keeps only the login, and signs out", async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const { page, errors } = await watchedPage(context);
    await page.goto(console_(`${repoPath}/lanes/cm/prod`));
    const authorize = new URL(page.url());
    expect(authorize.origin).toBe(world.local.running.url);
    expect(authorize.pathname).toBe("/login/oauth/authorize");
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("state")?.length).toBeGreaterThan(20);
    await page.getByRole("link", { name: "Sign in as mia" }).click();
    await page.waitForURL(console_(`${repoPath}/lanes/cm/prod`));
    await expect.poll(() => page.locator("h1").textContent()).toBe("cm/prod in acme/platform");

    const cookies = await context.cookies(console_("/"));
    expect(cookies.map((c) => c.name)).toEqual(["lanegate_session"]);
    const [session] = cookies;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/lanegate" });
    const payload = JSON.parse(Buffer.from(session?.value.split(".")[0] ?? "", "base64url").toString());
    expect(Object.keys(payload).sort()).toEqual(["exp", "login"]);
    expect(payload.login).toBe("mia");
    // The user's token went no further than the sign-in: lanegate asked GitHub who it was, once.
    expect(world.local.standin.requests.filter((r) => r.path === "/user")).toHaveLength(1);

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Signed out");
    expect(await context.cookies(console_("/"))).toEqual([]);
    await page.goto(console_("/"));
    expect(new URL(page.url()).pathname).toBe("/login/oauth/authorize");
    expect(errors).toEqual([]);
  }, 60_000);

  it("shows the story on every page within 100 ms of server time, with no serious axe finding or console error", async () => {
    const { page, errors } = await person("mia");
    const overview = await visit(page, "/", "overview");
    const rows = overview.getByRole("row");
    await expect.poll(() => rows.filter({ hasText: "cm/testing" }).textContent()).toContain("ready");
    expect(await rows.filter({ hasText: "cm/prod" }).textContent()).toContain("active");
    expect(await rows.filter({ hasText: "opw/prod" }).textContent()).toContain("restorable");

    const cmTesting = await visit(page, `${repoPath}/lanes/cm/testing`, "lane-cm-testing");
    expect(await page.getByRole("img", { name: /Operations per week by result/ }).count()).toBe(1);
    expect(await cmTesting.getByRole("row").filter({ hasText: "#1" }).first().textContent()).toContain("mia");
    await visit(page, `${repoPath}/lanes/opw/prod`, "lane-opw-prod");
    expect(await page.locator("main").textContent()).toContain("odoo-tenant-opw/opw/prod-upstream");

    // CM testing's first bootstrap: verification failed, because the logo probe answered 404.
    const lane = (await (
      await page.request.get(console_(`${repoPath}/lanes/cm/testing`), {
        headers: { accept: "application/json" },
      })
    ).json()) as { operations: { id: number }[] };
    const first = Math.min(...lane.operations.map((o) => o.id));
    const operation = await visit(page, `${repoPath}/operations/${first}`, "operation-verification-failed");
    expect(await operation.textContent()).toContain("verification_failed");
    const probe = operation
      .getByRole("table", { name: "Probes" })
      .getByRole("row")
      .filter({ hasText: "logo" });
    expect(await probe.textContent()).toMatch(/logo\s*fail\s*404/);
    expect(await operation.getByRole("button", { name: "Re-run the decision" }).count()).toBe(1);

    const refused = await refusedRun(page, "cm/prod", "confirmation phrase does not match");
    const run = await visit(page, `${repoPath}/runs/${refused}`, "run-refused");
    expect(await run.getByRole("row").filter({ hasText: "wrong_confirmation" }).textContent()).toContain(
      'type "bootstrap cm prod"',
    );

    const audit = await visit(page, "/audit?kind=gate&lane=cm%2Fprod", "audit");
    expect(await audit.getByRole("link", { name: `run ${refused} attempt 1` }).count()).toBe(1);
    await visit(page, "/audit", "audit-all");
    await page.getByRole("link", { name: "Older lines" }).click();
    expect(await page.locator("main tbody tr").count()).toBeGreaterThan(0);

    await visit(page, "/simulate", "simulate-form");
    await page.getByLabel("Lane").fill("cm/prod");
    await page.getByLabel("Confirmation phrase").fill("bootstrap cm prod");
    await page.getByRole("button", { name: "Would it be allowed?" }).click();
    await expect.poll(() => page.locator("#answer").textContent()).toContain("Allowed");
    await visit(
      page,
      "/simulate?repo=acme%2Fplatform&lane=cm%2Fprod&source=empty&confirmation=nope",
      "simulate",
    );
    expect(await page.locator("main").textContent()).toContain("wrong_confirmation");
    expect(errors).toEqual([]);
  }, 120_000);

  it("answers 404 on a repository the person cannot read, as for one that does not exist, and leaves it out of the overview", async () => {
    const { page } = await person("oscar");
    expect(await page.locator("main").textContent()).not.toContain(DEMO_REPO);
    const missing = await page.goto(console_("/repos/acme/nothing/lanes/cm/prod"));
    const missingText = await page.locator("main").textContent();
    expect(missing?.status()).toBe(404);
    for (const path of [`${repoPath}/lanes/cm/prod`, `${repoPath}/operations/1`, `${repoPath}/runs/1`]) {
      const res = await page.goto(console_(path));
      expect(res?.status(), path).toBe(404);
      expect(await page.locator("main").textContent()).toBe(missingText);
    }
    const json = await page.request.get(console_(`${repoPath}/lanes/cm/prod`), {
      headers: { accept: "application/json" },
    });
    expect(json.status()).toBe(404);
  }, 60_000);

  it("refuses the re-run to a person without maintain permission, asking GitHub at that moment", async () => {
    const { page } = await person("olivia");
    const refused = await refusedRun(page, "cm/prod", "confirmation phrase does not match");
    await page.goto(console_(`${repoPath}/runs/${refused}`));
    const before = world.local.standin.requests.length;
    await page.getByRole("button", { name: "Re-run the decision" }).click();
    await expect.poll(() => page.locator("main").textContent()).toContain("needs maintain or admin");
    const asked = world.local.standin.requests.slice(before);
    expect(asked.some((r) => r.path.endsWith("/collaborators/olivia/permission"))).toBe(true);
    expect(asked.some((r) => r.path.endsWith("/rerequest"))).toBe(false);
  }, 60_000);

  it("refuses the re-run without the form's CSRF token or from another origin", async () => {
    const { page } = await person("mia");
    const refused = await refusedRun(page, "cm/prod", "confirmation phrase does not match");
    await page.goto(console_(`${repoPath}/runs/${refused}`));
    const action = console_(`${repoPath}/runs/${refused}/rerun`);
    const before = world.local.standin.requests.length;
    const field = page.locator('main input[name="csrf"]');
    const token = await field.inputValue();
    await field.evaluate((input: HTMLInputElement) => {
      input.value = "";
    });
    const [noToken] = await Promise.all([
      page.waitForResponse((r) => r.url() === action),
      page.getByRole("button", { name: "Re-run the decision" }).click(),
    ]);
    expect(noToken.status()).toBe(403);
    expect(await page.locator("main").textContent()).toContain("token is missing or stale");
    const foreign = await page.request.post(action, {
      form: { csrf: token },
      headers: { origin: "https://attacker.example" },
    });
    expect(foreign.status()).toBe(403);
    expect(world.local.standin.requests.slice(before).some((r) => r.path.endsWith("/rerequest"))).toBe(false);
  }, 60_000);

  it("re-runs a decision for a maintainer: GitHub re-requests the check run and lanegate decides again", async () => {
    const { page, errors } = await person("mia");
    const refused = await refusedRun(page, "cm/prod", "confirmation phrase does not match");
    await page.goto(console_(`${repoPath}/runs/${refused}`));
    await page.getByRole("button", { name: "Re-run the decision" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Re-run requested");
    expect(
      world.local.standin.requests.some((r) => r.method === "POST" && r.path.endsWith("/rerequest")),
    ).toBe(true);
    const decisions = async () =>
      (
        (await (
          await page.request.get(console_(`${repoPath}/runs/${refused}`), {
            headers: { accept: "application/json" },
          })
        ).json()) as { decisions: unknown[] }
      ).decisions.length;
    await expect.poll(decisions, { timeout: 10_000 }).toBe(2);
    expect(errors).toEqual([]);
  }, 60_000);

  it("fits a phone's width: no page scrolls sideways", async () => {
    const { page } = await person("mia", { width: 375, height: 800 });
    const pages = {
      overview: "/",
      lane: `${repoPath}/lanes/cm/testing`,
      operation: `${repoPath}/operations/1`,
    };
    for (const [name, path] of Object.entries({ ...pages, audit: "/audit", simulate: "/simulate" })) {
      await page.goto(console_(path));
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(375);
      await screenshot(page, `phone-${name}`);
    }
  }, 60_000);
});
