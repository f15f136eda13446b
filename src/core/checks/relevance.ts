// Which of a pull request's changed files the checks read: the files of the config's chain in
// this repository, and workflow files. Decided from the files list alone. Pure.
import { CONFIG_PATH } from "../config/chain.ts";
import { isWorkflowPath } from "./workflow.ts";

/** One entry of the pull request's files list. */
export interface ChangedFile {
  path: string;
  /** GitHub's word: added, removed, modified, renamed, copied, changed, unchanged. */
  status: string;
  /** For a rename: the path it had before. */
  previousPath: string | null;
}

export interface Relevant {
  /** Changed files of the config's chain (the config's own path always counts). */
  config: ChangedFile[];
  /** Workflow files added, changed, renamed or removed. */
  workflows: ChangedFile[];
}

const paths = (f: ChangedFile) => (f.previousPath ? [f.path, f.previousPath] : [f.path]);

/**
 * `chainPaths` are this repository's files of the config in force; null when lanegate has not read
 * the config yet, and then any YAML file outside the workflows might be one of them.
 */
export function relevantChanges(
  files: readonly ChangedFile[],
  chainPaths: readonly string[] | null,
): Relevant & {
  maybeConfig: boolean;
} {
  const chain = new Set([CONFIG_PATH, ...(chainPaths ?? [])]);
  const config = files.filter((f) => paths(f).some((p) => chain.has(p)));
  const workflows = files.filter((f) => paths(f).some(isWorkflowPath));
  const maybeConfig =
    chainPaths === null && files.some((f) => paths(f).some((p) => /\.ya?ml$/i.test(p) && !isWorkflowPath(p)));
  return { config, workflows, maybeConfig };
}

/** What the files list says about a path at the head commit: there, gone, or not known. */
export function existsAtHead(files: readonly ChangedFile[], path: string): boolean | null {
  const changed = files.find((f) => f.path === path);
  if (changed) return changed.status !== "removed";
  if (files.some((f) => f.previousPath === path && f.status === "renamed")) return false;
  return null;
}
