// The embedded default: a local stand-in for GitHub with one repository set up the way the
// operations guide describes, so `npm start` and `npm run demo` need no GitHub App and no setup.
import { generateKeyPairSync } from "node:crypto";
import { type RunningStandin, Standin, startStandin } from "./index.ts";

export const LOCAL_APP_ID = 1;
export const LOCAL_SECRET = "lanegate-local-webhook-secret";
export const DEMO_REPO = "acme/platform";

export const DEMO_CONFIG = `# Reviewed like code: the baseline no approval issue can weaken.
label: lane-policy
approvers:
  min_permission: maintain
  allow_self_approval: false
lanes:
  syo/prod:      { data_authority: authoritative }
  verireel/prod: { data_authority: authoritative }
gate:
  workflows: [odoo-stable-bootstrap.yml]
proofs:
  backup:  { workflow: backup.yml,         max_age_hours: 24 }
  restore: { workflow: restore-verify.yml, max_age_hours: 168 }
evidence:
  jobs:
    target-proof: target_proof
    bootstrap: bootstrap
    post-deploy: post_deploy
    verify: verification
  deploy_workflows: [deploy.yml]
`;

/**
 * The CM and OPW approval issue of the operations guide: CM's lanes are disposable until launch,
 * OPW's are restored from their upstream. `extraLanes` is YAML for more lanes, indented by two.
 */
export function cmOpwApprovalBody(expires = "2027-03-31T00:00:00Z", extraLanes = ""): string {
  return `CM and OPW are not launched yet: their lanes may be wiped and rebuilt.

\`\`\`lane-policy
lanes:
  cm/testing:
    data_authority: resettable
    allowed_rebuild_sources: [empty]
  cm/prod:
    data_authority: resettable
    allowed_rebuild_sources: [empty]
    confirmation: bootstrap cm prod
  opw/testing:
    data_authority: restorable
    allowed_rebuild_sources: [upstream_restore]
    upstream_source: odoo-tenant-opw/opw/testing-upstream
  opw/prod:
    data_authority: restorable
    allowed_rebuild_sources: [upstream_restore]
    upstream_source: odoo-tenant-opw/opw/prod-upstream
${extraLanes}expires_at: ${expires}
retire_when: CM and OPW launch on Launchplane-managed prod
\`\`\`
`;
}

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
