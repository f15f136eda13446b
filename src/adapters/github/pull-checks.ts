// GitHub reads and writes of the pull-request checks: the pull request's changed files, a file at
// its head commit, and the check runs with their annotations (at most 50 per request, so further
// ones go in updates, which GitHub appends).
import type { ChangedFile } from "../../core/checks/relevance.ts";
import type { Annotation, CheckOutput } from "../../core/checks/render.ts";
import type { RepoRef } from "../../core/repository.ts";
import { type Octokit, statusOf } from "./client.ts";

/** Every file the pull request changes (GitHub lists at most 3000), 100 to a page. */
export async function listPullFiles(
  octokit: Octokit,
  ref: RepoRef,
  pullNumber: number,
): Promise<ChangedFile[]> {
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
    ...ref,
    pull_number: pullNumber,
    per_page: 100,
  });
  return files.map((f) => ({
    path: f.filename,
    status: f.status,
    previousPath: f.previous_filename ?? null,
  }));
}

/** A file's text at a commit, or null when the commit has no such file. */
export async function readFileAt(
  octokit: Octokit,
  ref: RepoRef,
  path: string,
  sha: string,
): Promise<string | null> {
  try {
    const { data, headers } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...ref,
      path,
      ref: sha,
      mediaType: { format: "raw" },
    });
    // The raw format answers JSON only for a directory or a submodule.
    if (String(headers["content-type"]).startsWith("application/json"))
      throw new Error(`${path} at ${sha} is a directory or a submodule, not a file`);
    return String(data);
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
}

export const ANNOTATIONS_PER_REQUEST = 50;

/** Creates the check run completed, then adds the annotations past the first 50, 50 at a time. */
export async function writePullCheck(
  octokit: Octokit,
  ref: RepoRef,
  c: CheckOutput & { headSha: string; externalId: string },
): Promise<number> {
  const pages: Annotation[][] = [];
  for (let i = 0; i < c.annotations.length; i += ANNOTATIONS_PER_REQUEST)
    pages.push(c.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const output = (annotations: Annotation[]) => ({ title: c.title, summary: c.summary, annotations });
  const { data } = await octokit.rest.checks.create({
    ...ref,
    name: c.name,
    head_sha: c.headSha,
    external_id: c.externalId,
    status: "completed",
    conclusion: c.conclusion,
    completed_at: new Date().toISOString(),
    output: output(pages[0] ?? []),
  });
  for (const page of pages.slice(1))
    await octokit.rest.checks.update({ ...ref, check_run_id: data.id, output: output(page) });
  return data.id;
}
