// The console's GitHub I/O: the App's user-to-server OAuth (only to learn who signed in; the user
// token is dropped at once), a person's role on a repository (asked with the installation token),
// and re-requesting one of lanegate's check runs. It reads and writes; it decides nothing.
import { effectiveRole } from "../../core/lanes/approver.ts";
import type { RepoRef } from "../../core/repository.ts";
import { type Octokit, statusOf } from "./client.ts";

/** Where the OAuth pages and the REST API of one GitHub (github.com or an Enterprise Server) are. */
export interface GitHubHosts {
  web: string;
  api: string;
}

export function hostsFrom(env: { GHE_HOST?: string; GHE_PROTOCOL?: string }): GitHubHosts {
  if (!env.GHE_HOST) return { web: "https://github.com", api: "https://api.github.com" };
  const web = `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}`;
  return { web, api: `${web}/api/v3` };
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

/** The address of GitHub's authorize page, with state and the PKCE S256 challenge. */
export function authorizeUrl(
  hosts: GitHubHosts,
  client: OAuthClient,
  params: { redirectUri: string; state: string; codeChallenge: string },
): string {
  const url = new URL(`${hosts.web}/login/oauth/authorize`);
  url.searchParams.set("client_id", client.clientId);
  url.searchParams.set("redirect_uri", params.redirectUri);
  url.searchParams.set("state", params.state);
  url.searchParams.set("code_challenge", params.codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("allow_signup", "false");
  return url.toString();
}

export class OAuthError extends Error {}

/** Trades the callback's code for a user token, asks whose it is, and forgets the token. */
export async function signedInLogin(
  hosts: GitHubHosts,
  client: OAuthClient,
  params: { code: string; codeVerifier: string; redirectUri: string },
): Promise<string> {
  const exchange = await fetch(`${hosts.web}/login/oauth/access_token`, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code: params.code,
      code_verifier: params.codeVerifier,
      redirect_uri: params.redirectUri,
    }),
  });
  const grant = (await exchange.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown };
  // GitHub answers 200 with an `error` field for a bad code or verifier.
  if (!exchange.ok || typeof grant.access_token !== "string")
    throw new OAuthError(`GitHub refused the sign-in code: ${String(grant.error ?? exchange.status)}`);
  const user = await fetch(`${hosts.api}/user`, {
    headers: {
      accept: "application/vnd.github+json",
      authorization: `Bearer ${grant.access_token}`,
      "x-github-api-version": "2022-11-28",
    },
  });
  const body = (await user.json().catch(() => ({}))) as { login?: unknown };
  if (!user.ok || typeof body.login !== "string")
    throw new OAuthError(`GitHub did not say who signed in (GET /user answered ${user.status})`);
  return body.login;
}

/** A person's role on a repository (`read` … `admin`), or null when they have none. */
export async function roleOn(octokit: Octokit, ref: RepoRef, login: string): Promise<string | null> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...ref, username: login });
    return data.permission === "none" ? null : effectiveRole(data.role_name, data.permission);
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
}

/** Asks GitHub to re-request a check run; GitHub then delivers `check_run.rerequested` to lanegate. */
export async function rerequestCheckRun(octokit: Octokit, ref: RepoRef, checkRunId: number): Promise<void> {
  await octokit.rest.checks.rerequestRun({ ...ref, check_run_id: checkRunId });
}
