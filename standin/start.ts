// `npm start`: runs lanegate. With a GitHub App's credentials in the environment it serves that
// app (src/main.ts); without them it starts against a local stand-in for GitHub (the embedded
// default), so a newcomer can run it with no setup.
import { namesAnApp, withDotenv } from "../src/env.ts";
import { startLanegate } from "../src/server.ts";
import { DEMO_REPO, startLocalGitHub } from "./world.ts";

// `.env` counts: an App configured there is served, as `node dist/main.js` would serve it.
if (namesAnApp(withDotenv(process.env))) {
  await import("../src/main.ts");
} else {
  const local = await startLocalGitHub(Number(process.env.STANDIN_PORT) || 0);
  const env = { ...process.env, ...local.env };
  const app = await startLanegate({ env, throttle: false, access: { kind: "public" }, redeliverEveryMs: 0 });
  const base = `http://localhost:${app.port}`;
  console.log(
    [
      "",
      "lanegate is running against a local stand-in for GitHub (no GitHub App configured).",
      `  stand-in GitHub API:  ${local.running.url}`,
      `  webhooks:             ${base}/api/github/webhooks  (secret: ${env.WEBHOOK_SECRET})`,
      `  lanes read model:     ${base}/lanegate/api/repos/${DEMO_REPO}/lanes`,
      "Run `npm run demo` to watch an approval issue grant and retire lanes.",
      "To serve a real GitHub App, set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET.",
      "",
    ].join("\n"),
  );
}
