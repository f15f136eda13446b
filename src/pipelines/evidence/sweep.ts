// The evidence sweep: runs whose artifact had not appeared are asked about again until two minutes
// after completion (then recorded as missing), and evidence check runs that failed are written again.
import type { Probot } from "probot";
import { describe, type Octokit } from "../../adapters/github/client.ts";
import { read } from "../../adapters/store/db.ts";
import * as evidence from "../../adapters/store/evidence.ts";
import { installationOf } from "../../adapters/store/repositories.ts";
import type { GateDeps } from "../deps.ts";
import { collect } from "./collect.ts";
import { publishEvidence } from "./publish.ts";

export async function evidenceSweep(deps: GateDeps, app: Probot): Promise<void> {
  const octokits = new Map<number, Octokit>();
  const octokitFor = async (installationId: number) => {
    const cached = octokits.get(installationId);
    if (cached) return cached;
    const fresh = await app.auth(installationId);
    octokits.set(installationId, fresh);
    return fresh;
  };
  for (const row of await read(deps.db, (q) => evidence.awaitingEvidence(q))) {
    const installationId = row.installationId ?? (await read(deps.db, (q) => installationOf(q, row.repo)));
    if (installationId === null) continue;
    try {
      await collect(deps, await octokitFor(installationId), row);
    } catch (error) {
      deps.log.warn(`${row.repo} run ${row.runId}: evidence not collected yet: ${describe(error)}`, {
        repository: row.repo,
        run_id: row.runId,
      });
    }
  }
  for (const row of await read(deps.db, (q) => evidence.unwrittenEvidenceChecks(q))) {
    const installationId = row.installationId ?? (await read(deps.db, (q) => installationOf(q, row.repo)));
    if (installationId === null) continue;
    try {
      await publishEvidence(deps, await octokitFor(installationId), row.repo, row.runId, row.attempt);
    } catch (error) {
      deps.log.warn(`${row.repo} run ${row.runId}: evidence check not written yet: ${describe(error)}`, {
        repository: row.repo,
        run_id: row.runId,
      });
    }
  }
}
