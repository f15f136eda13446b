// The embedded default: a local stand-in for GitHub with one repository set up the way the
// operations guide describes, so `npm start` and `npm run demo` need no GitHub App and no setup.
import { generateKeyPairSync } from "node:crypto";
import { cmOpwApprovalBody, DEMO_CONFIG, DEMO_REPO } from "./demo.ts";
import { type RunningStandin, Standin, startStandin } from "./index.ts";

// The demo's data, for everything that starts from the world.
export { cmOpwApprovalBody, DEMO_CONFIG, DEMO_REPO };

export const LOCAL_APP_ID = 1;
export const LOCAL_SECRET = "lanegate-local-webhook-secret";
export interface LocalGitHub {
  running: RunningStandin;
  standin: Standin;
  /** The environment that points lanegate at the stand-in. */
  env: Record<string, string>;
}

export async function startLocalGitHub(port = 0): Promise<LocalGitHub> {
  const standin = new Standin({ appId: LOCAL_APP_ID });
  standin.addRepo(DEMO_REPO);
  standin.setFile(DEMO_REPO, ".github/lanegate.yml", DEMO_CONFIG);
  standin.setCollaborator(DEMO_REPO, "olivia", "write"); // operator: opens approval issues
  standin.setCollaborator(DEMO_REPO, "mia", "maintain"); // maintainer: approves
  standin.setCollaborator(DEMO_REPO, "tara", "triage"); // can label, cannot approve
  standin.addUser("oscar"); // an outsider: signs in to the console, reads nothing
  const running = await startStandin({ port, standin });
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const host = new URL(running.url).host;
  return {
    running,
    standin,
    env: {
      APP_ID: String(LOCAL_APP_ID),
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: LOCAL_SECRET,
      GHE_HOST: host,
      GHE_PROTOCOL: "http",
      // The console's sign-in goes through the stand-in's OAuth pages.
      GITHUB_CLIENT_ID: standin.oauthApp.clientId,
      GITHUB_CLIENT_SECRET: standin.oauthApp.clientSecret,
    },
  };
}
