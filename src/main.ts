// `npm start`: runs lanegate. With a GitHub App's credentials in the environment it serves that
// app; without them it starts against a local stand-in for GitHub (the embedded default).
import { DEMO_REPO, startLocalGitHub } from "./local/world.ts";
import { startLanegate } from "./server.ts";

const hasCredentials = Boolean(process.env.APP_ID || process.env.PRIVATE_KEY || process.env.PRIVATE_KEY_PATH);
const local = hasCredentials ? null : await startLocalGitHub(Number(process.env.STANDIN_PORT) || 0);
const env = { ...process.env, ...(local?.env ?? {}) };
const app = await startLanegate({ env, throttle: local === null });

if (local) {
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
