// Reads `.github/lanegate.yml` the way Probot's config loader (@probot/octokit-plugin-config)
// does: the repository's file, else the org's `.github` repository's, then each `_extends`, with
// the same rules. Each file is asked for with the ETag it had last time: GitHub answers 304
// (not counted against the rate limit) when it is unchanged, and the cached file is kept.
import { parse } from "yaml";
import type { ConfigFile } from "../../core/config/load.ts";
import type { RepoRef } from "../../core/repository.ts";
import { type Octokit, statusOf } from "./client.ts";

export const CONFIG_PATH = ".github/lanegate.yml";

// The loader's own pattern for `_extends`: `[owner/]repo[:path.yml]`.
const EXTENDS = /^(?:([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})\/)?([-_.\w\d]+)(?::([-_./\w\d]+\.ya?ml))?$/i;

export interface FetchedConfig {
  files: ConfigFile[];
  /** Every file answered 304: the config in force is the cached one. */
  unchanged: boolean;
}

/**
 * Walks the chain. API faults propagate with their status; a file that cannot be parsed, a bad
 * `_extends` or a cycle throws a plain Error, which the caller reports as an invalid config.
 */
export async function fetchConfigFiles(
  octokit: Octokit,
  ref: RepoRef,
  cached: ConfigFile[],
): Promise<FetchedConfig> {
  let unchanged = true;
  const read = async (owner: string, repo: string, path: string) => {
    const known = cached.find((f) => same(f, { owner, repo, path }));
    const file = await readFile(octokit, { owner, repo, path }, known);
    if (file !== known) unchanged = false;
    return file;
  };
  const own = await read(ref.owner, ref.repo, CONFIG_PATH);
  const files = [own];
  if (!own.config && ref.repo !== ".github") files.push(await read(ref.owner, ".github", CONFIG_PATH));
  for (let last = files.at(-1); last?.config?._extends !== undefined; last = files.at(-1)) {
    const next = extendsTarget(last, ref.owner);
    if (files.some((f) => same(f, next)))
      throw new Error(`_extends in ${label(last)} loops back to ${label(next)}`);
    files.push(await read(next.owner, next.repo, next.path));
  }
  return { files, unchanged };
}

type FileRef = Pick<ConfigFile, "owner" | "repo" | "path">;

const same = (a: FileRef, b: FileRef) =>
  a.owner.toLowerCase() === b.owner.toLowerCase() &&
  a.repo.toLowerCase() === b.repo.toLowerCase() &&
  a.path === b.path;

const label = (f: FileRef) => `${f.owner}/${f.repo}:${f.path}`;

function extendsTarget(file: ConfigFile, owner: string): FileRef {
  const value = file.config?._extends;
  const match = typeof value === "string" ? EXTENDS.exec(value) : null;
  if (!match?.[2]) throw new Error(`invalid _extends ${JSON.stringify(value)} in ${label(file)}`);
  return { owner: match[1] ?? owner, repo: match[2], path: match[3] ?? file.path };
}

async function readFile(octokit: Octokit, at: FileRef, known: ConfigFile | undefined): Promise<ConfigFile> {
  try {
    const { data, headers } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...at,
      mediaType: { format: "raw" },
      headers: known?.etag ? { "if-none-match": known.etag } : {},
    });
    // The raw format answers JSON only for a directory or a submodule, which is no config.
    if (String(headers["content-type"]).startsWith("application/json"))
      throw new Error(`${label(at)} is a directory or a submodule, not a config file`);
    return { ...at, etag: headers.etag ?? null, config: parseFile(at, String(data)) };
  } catch (error) {
    if (statusOf(error) === 304 && known) return known;
    if (statusOf(error) === 404) return known?.config === null ? known : { ...at, etag: null, config: null };
    throw error;
  }
}

function parseFile(at: FileRef, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parse(text, { logLevel: "error" }) ?? {};
  } catch (error) {
    throw new Error(`${label(at)} is not valid YAML: ${error instanceof Error ? error.message : error}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${label(at)} is not a YAML mapping`);
  return parsed as Record<string, unknown>;
}
