// Reads `.github/lanegate.yml` the way Probot's config loader (@probot/octokit-plugin-config)
// does: the repository's file, else the org's `.github` repository's, then each `_extends`, with
// the same rules. Each file is asked for with the ETag it had last time: GitHub answers 304
// (not counted against the rate limit) when it is unchanged, and the cached file is kept.
import { parse } from "yaml";
import { type FileRef, fileLabel, sameFile, walkChain } from "../../core/config/chain.ts";
import type { ConfigFile } from "../../core/config/load.ts";
import type { RepoRef } from "../../core/repository.ts";
import { type Octokit, statusOf } from "./client.ts";

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
  const files = await walkChain(ref, async (at) => {
    const known = cached.find((f) => sameFile(f, at));
    const file = await readConfigFile(octokit, at, known);
    if (file !== known) unchanged = false;
    return file;
  });
  return { files, unchanged };
}

/** One file of the chain, asked for with the ETag it had (a 304 keeps `known`). */
export async function readConfigFile(
  octokit: Octokit,
  at: FileRef,
  known: ConfigFile | undefined,
): Promise<ConfigFile> {
  try {
    const { data, headers } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...at,
      mediaType: { format: "raw" },
      headers: known?.etag ? { "if-none-match": known.etag } : {},
    });
    // The raw format answers JSON only for a directory or a submodule, which is no config.
    if (String(headers["content-type"]).startsWith("application/json"))
      throw new Error(`${fileLabel(at)} is a directory or a submodule, not a config file`);
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
    throw new Error(`${fileLabel(at)} is not valid YAML: ${error instanceof Error ? error.message : error}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${fileLabel(at)} is not a YAML mapping`);
  return parsed as Record<string, unknown>;
}
