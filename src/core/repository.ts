// A repository as lanegate names it: the owner and name a delivery carries, the lower-case key the
// store files it under, and the target a pipeline works on, with the one rule for its default branch.

export interface RepoRef {
  owner: string;
  repo: string;
}

/** The store's key: GitHub names are case-insensitive, so `Org/App` and `org/app` are one repository. */
export const repoKey = (ref: RepoRef) => `${ref.owner}/${ref.repo}`.toLowerCase();

/** The other way round, for work that starts from the store rather than a delivery. */
export function refOf(repo: string): RepoRef {
  const [owner = "", name = ""] = repo.split("/");
  return { owner, repo: name };
}

export interface Target {
  ref: RepoRef;
  installationId: number | null;
  /**
   * The repository's default branch, from the delivery (or as the store recorded it; null when
   * it never was): the allowed branch when the config names none.
   */
  defaultBranch: string | null;
}

/**
 * The one default-branch rule: what the delivery says, else what the store recorded, else not
 * known. It is never guessed (no `main`): a decision that needs it reads it from GitHub or refuses.
 */
export function defaultBranchOf(
  delivered: string | null | undefined,
  recorded: string | null,
): string | null {
  return delivered || recorded || null;
}

export function targetOf(
  ref: RepoRef,
  installationId: number | null,
  branch: { delivered?: string | null; recorded?: string | null },
): Target {
  return { ref, installationId, defaultBranch: defaultBranchOf(branch.delivered, branch.recorded ?? null) };
}
