// Whether an `issues` delivery can matter to lanegate, decided from the payload and the store so
// that the many deliveries about unrelated issues cost no API request and no write. It can
// matter if the issue carries (or just lost) the approval label, has a lane-policy block now or
// had one before the edit, or is an issue lanegate already keeps records of. In doubt (no config
// within its bound says what the label is) the config is read, and if it cannot be, the
// delivery is taken as one that matters: the sync then fails closed.

import type { Octokit } from "../../adapters/github/client.ts";
import { read } from "../../adapters/store/db.ts";
import * as issueStore from "../../adapters/store/issues.ts";
import { configInForce } from "../../core/config/load.ts";
import { findPolicyBlocks } from "../../core/policy/fence.ts";
import { repoKey } from "../../core/repository.ts";
import { currentConfigLoad, freshLabel } from "../config.ts";
import type { SyncDeps } from "../deps.ts";
import type { IssueTarget } from "./sync.ts";

export interface IssueSigns {
  /** The labels the issue carries, and the one the delivery added or removed. */
  labels: string[];
  /** The body now and, for an edit, the body before it. */
  bodies: string[];
}

const hasBlock = (body: string) => body.includes("lane-policy") && findPolicyBlocks(body).length > 0;

export async function issueMayMatter(
  deps: SyncDeps,
  octokit: Octokit,
  target: IssueTarget,
  signs: IssueSigns,
): Promise<boolean> {
  if (signs.bodies.some(hasBlock)) return true;
  if (await read(deps.db, (q) => issueStore.isTracked(q, repoKey(target.ref), target.number))) return true;
  let label = await freshLabel(deps, target.ref);
  if (label === null) {
    const config = configInForce(await currentConfigLoad(deps, octokit, target.ref, target.installationId));
    if (!config) return true;
    label = config.label;
  }
  const wanted = label.toLowerCase();
  return signs.labels.some((l) => l.toLowerCase() === wanted);
}
