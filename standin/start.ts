// `npm start`: with a GitHub App configured (in the environment or `.env`) it serves that App
// (src/main.ts). Without one it is a playground: the CM and OPW story plays against a local
// stand-in for GitHub, then the app keeps serving so the read models and the CLI can explore it.
import { namesAnApp, withDotenv } from "../src/env.ts";
import { playStory } from "./story.ts";
import { DEMO_REPO } from "./world.ts";

// `.env` counts: an App configured there is served, as `node dist/main.js` would serve it.
if (namesAnApp(withDotenv(process.env))) {
  await import("../src/main.ts");
} else {
  const db = "data/playground.sqlite";
  const { app, local, base } = await playStory({
    dbFile: db,
    port: process.env.PORT ?? "3000",
    standinPort: Number(process.env.STANDIN_PORT) || 0,
  });
  const api = `${base}/lanegate/api/repos/${DEMO_REPO}`;
  console.log(
    [
      "",
      "lanegate is running against a local stand-in for GitHub (no GitHub App configured).",
      `  console:              ${base}/lanegate/  (sign in as mia, a maintainer, on the stand-in's page)`,
      `  stand-in GitHub API:  ${local.running.url}`,
      `  webhooks:             ${base}/api/github/webhooks  (secret: ${local.env.WEBHOOK_SECRET})`,
      `  lanes:                ${api}/lanes`,
      `  one lane:             ${api}/lanes/cm/prod`,
      `  operations:           ${api}/operations`,
      `  audit log:            ${api}/audit`,
      `  health, metrics:      ${base}/readyz  ${base}/metrics`,
      `The CLI reads the playground's database (${db}): npx lanegate lanes ${DEMO_REPO} --db file:${db}`,
      "To serve a real GitHub App, run `npm run register` or set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET.",
      "Ctrl-C stops it.",
      "",
    ].join("\n"),
  );
  const stop = async () => {
    await app.stop();
    await local.running.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
