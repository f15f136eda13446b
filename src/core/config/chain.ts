// The chain of files a config is read from, by the rules of Probot's config loader
// (@probot/octokit-plugin-config): the repository's file, else the org's `.github` repository's,
// then each `_extends`. Pure: the caller says how a file is read (from GitHub, from a cache, from a
// pull request's head commit).
import type { ConfigFile } from "./load.ts";

export const CONFIG_PATH = ".github/lanegate.yml";

export type FileRef = Pick<ConfigFile, "owner" | "repo" | "path">;

// The loader's own pattern for `_extends`: `[owner/]repo[:path.yml]`.
const EXTENDS = /^(?:([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})\/)?([-_.\w\d]+)(?::([-_./\w\d]+\.ya?ml))?$/i;

export const sameFile = (a: FileRef, b: FileRef) =>
  a.owner.toLowerCase() === b.owner.toLowerCase() &&
  a.repo.toLowerCase() === b.repo.toLowerCase() &&
  a.path === b.path;

export const fileLabel = (f: FileRef) => `${f.owner}/${f.repo}:${f.path}`;

/** A bad `_extends` or a loop: the config is invalid. */
export class ChainError extends Error {
  constructor(
    message: string,
    /** The file whose `_extends` is at fault. */
    readonly file: FileRef,
  ) {
    super(message);
  }
}

/** Walks the chain; whatever `read` throws propagates, a bad `_extends` throws a ChainError. */
export async function walkChain(
  ref: { owner: string; repo: string },
  read: (at: FileRef) => Promise<ConfigFile>,
): Promise<ConfigFile[]> {
  const own = await read({ owner: ref.owner, repo: ref.repo, path: CONFIG_PATH });
  const files = [own];
  if (!own.config && ref.repo !== ".github")
    files.push(await read({ owner: ref.owner, repo: ".github", path: CONFIG_PATH }));
  for (let last = files.at(-1); last?.config?._extends !== undefined; last = files.at(-1)) {
    const next = extendsTarget(last, ref.owner);
    if (files.some((f) => sameFile(f, next)))
      throw new ChainError(`_extends in ${fileLabel(last)} loops back to ${fileLabel(next)}`, last);
    files.push(await read(next));
  }
  return files;
}

function extendsTarget(file: ConfigFile, owner: string): FileRef {
  const value = file.config?._extends;
  const match = typeof value === "string" ? EXTENDS.exec(value) : null;
  if (!match?.[2])
    throw new ChainError(`invalid _extends ${JSON.stringify(value)} in ${fileLabel(file)}`, file);
  return { owner: match[1] ?? owner, repo: match[2], path: match[3] ?? file.path };
}
