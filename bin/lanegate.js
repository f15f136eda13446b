#!/usr/bin/env node
// `npx lanegate`: in a checkout it runs the TypeScript CLI through tsx, so it needs no build step;
// in the production image, which ships dist/ and no sources (and no tsx), it runs the built CLI.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(new URL("../dist/cli/main.js", import.meta.url).href);
}
