// Derives every live issue of a repository from its stored facts under the config in force, and
// applies the grant plan with an audit line per change, inside the caller's transaction. The
// sync, the expiry sweep and a config change all come here: a grant is always judged against the
// config of the moment.
import * as auditStore from "../adapters/store/audit.ts";
import { exclusive, type Q } from "../adapters/store/db.ts";
import * as grantStore from "../adapters/store/grants.ts";
import * as issueStore from "../adapters/store/issues.ts";
import { baselineOf, type LanegateConfig } from "../core/config/schema.ts";
import { describeChange, planGrants } from "../core/lanes/grant-plan.ts";
import { deriveIssue, resolveConflicts } from "../core/lanes/lifecycle.ts";

/**
 * A repository's derivations (a sync, the expiry sweep, a config change) run one at a time on
 * every replica: each plans from every live issue and every open grant, and two side by side
 * would plan from what the other is changing. A transaction takes it before it reads what it
 * plans from.
 */
export function lanesScope(repo: string): string {
  return `lanes ${repo}`;
}

export async function deriveGrants(
  q: Q,
  repo: string,
  config: LanegateConfig,
  trigger: auditStore.Trigger,
  now: Date,
) {
  await exclusive(q, lanesScope(repo));
  const issues = await issueStore.liveIssues(q, repo);
  const baseline = baselineOf(config);
  const all = resolveConflicts(issues.map((i) => deriveIssue(i.facts, i.approvals, baseline, config, now)));
  const { open, history } = await grantStore.grantsForPlan(
    q,
    repo,
    all.map((o) => o.number),
  );
  const plan = planGrants(open, history, all);
  const changed = await grantStore.applyGrantChanges(q, repo, plan, trigger.actor, now, open);
  // One audit line per change, in one statement: a 50-lane block is 50 lines.
  const at = now.toISOString();
  await auditStore.appendAudits(
    q,
    plan.map((change) => ({
      repo,
      ...trigger,
      subject: `#${change.issue} ${change.lane}`,
      change: describeChange(change),
      at,
    })),
  );
  /** Issues whose facts cannot be judged under this config: a sync must read them again. */
  const needsRead = all.filter((o) => o.needsRead).map((o) => o.number);
  return { all, changed, plan, needsRead };
}
