// Shared setup for the stand-in's tests: a running stand-in with one installed repository and
// a client that checks every exchange against GitHub's OpenAPI description.
import { expect } from "vitest";
import { type RunningStandin, startStandin } from "../../standin/index.ts";
import { checkRequest, checkResponse } from "../support/openapi.ts";

export const REPO = "acme/infra";
export const FAKE_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl";

export interface Exchange {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface Client {
  running: RunningStandin;
  token: string;
  call(method: string, path: string, options?: CallOptions): Promise<Exchange>;
}

interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  token?: string | null;
  /** For exchanges the description does not cover (unlisted endpoints, missing auth). */
  unchecked?: boolean;
}

export async function startClient(): Promise<Client> {
  const running = await startStandin();
  running.standin.addRepo(REPO);
  const call = async (method: string, path: string, options: CallOptions = {}): Promise<Exchange> => {
    const url = path.startsWith("http") ? path : `${running.url}${path}`;
    const token = options.token === undefined ? client.token : options.token;
    const response = await fetch(url, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        ...(token ? { authorization: `token ${token}` } : {}),
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      redirect: "manual",
    });
    const text = await response.text();
    const isJson = response.headers.get("content-type")?.startsWith("application/json") ?? false;
    const body: unknown = isJson ? JSON.parse(text) : text;
    if (!options.unchecked) {
      expect(checkRequest(method, url, options.body)).toEqual([]);
      expect(checkResponse(method, url, response.status, isJson ? body : undefined)).toEqual([]);
    }
    return { status: response.status, headers: response.headers, body };
  };
  const client: Client = { running, token: "", call };
  const { installationId } = running.standin.repo(REPO);
  const minted = await call("POST", `/api/v3/app/installations/${installationId}/access_tokens`, {
    headers: { authorization: `Bearer ${FAKE_JWT}` },
  });
  client.token = String(field(minted.body, "token"));
  return client;
}

export function field(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}
