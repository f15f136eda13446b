// .env.example lists every variable lanegate reads, and copied as it is it starts nothing by
// accident: it names no App, so `npm start` would run the playground.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { expect, it } from "vitest";
import { namesAnApp } from "../../src/env.ts";

const root = resolve(import.meta.dirname, "../..");

it("lists every variable the service reads, each with a comment, and names no App", () => {
  const text = readFileSync(resolve(root, ".env.example"), "utf8");
  // The keys of the environment's schema in src/env.ts, plus the key that is checked apart from it.
  const schema = readFileSync(resolve(root, "src/env.ts"), "utf8");
  const read = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1] ?? "");
  expect(read.length).toBeGreaterThan(10);
  const listed = Object.keys(parseEnv(text));
  for (const name of [...read, "PRIVATE_KEY", "PRIVATE_KEY_PATH"]) expect(listed, name).toContain(name);
  const lines = text.split("\n");
  for (const name of listed) {
    const at = lines.findIndex((l) => l.startsWith(`${name}=`));
    expect(
      lines
        .slice(0, at)
        .reverse()
        .find((l) => !/^[A-Z_]+=/.test(l))
        ?.startsWith("#"),
      name,
    ).toBe(true);
  }
  expect(namesAnApp(parseEnv(text))).toBe(false);
});
