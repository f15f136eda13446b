// The answer to a deployment protection request, from plain facts: the decision of the run's
// current attempt, the environment's lane, and how long the request has waited for a decision.
import { parseLaneId } from "../domain.ts";

/** How long a protection request may wait for a decision before it is rejected as undecidable. */
export const PROTECTION_GRACE_MS = 5 * 60_000;

export interface ProtectionFacts {
  /** What lanegate could not gather from GitHub (which attempt is current): rejected at once. */
  gatherError: string | null;
  /** The run's current attempt, as GitHub said. */
  attempt: number | null;
  /** That attempt's decision (the newest made for it); null while it has none. */
  decision: { allowed: boolean; lane: string | null; reason: string | null } | null;
  environment: string;
  /** The config's `gate.environments`: the lane of an environment whose name is not a lane id. */
  environments: Record<string, string>;
  receivedAt: string;
  now: Date;
}

/** Approved only for an allowed attempt of the environment's own lane, with GitHub's comment. */
export interface ProtectionAnswer {
  approved: boolean;
  comment: string;
}

/**
 * The answer, or null while the request waits for its attempt's decision. Past the grace period
 * a request with no decision is rejected; with a fact not gathered, it is rejected at once.
 */
export function protectionAnswer(f: ProtectionFacts): ProtectionAnswer | null {
  const overdue = f.now.getTime() - Date.parse(f.receivedAt) > PROTECTION_GRACE_MS;
  if (!f.gatherError && !f.decision && !overdue) return null;
  const mapped = Object.hasOwn(f.environments, f.environment) ? f.environments[f.environment] : undefined;
  const lane = mapped ?? parseLaneId(f.environment)?.id ?? null;
  const approved =
    !f.gatherError && f.decision?.allowed === true && lane !== null && lane === f.decision.lane;
  return { approved, comment: comment(f, lane, approved) };
}

function comment(f: ProtectionFacts, lane: string | null, approved: boolean): string {
  const { gatherError, decision } = f;
  if (gatherError)
    return `lanegate could not gather the facts from GitHub (github_unavailable): ${gatherError}`;
  if (!decision) return `lanegate has no decision for attempt ${f.attempt} of this run`;
  if (!lane) return `environment ${f.environment} maps to no lane`;
  if (approved) return `lanegate allowed this run for ${lane}`;
  if (lane !== decision.lane) return `this run was decided for ${decision.lane ?? "no lane"}, not ${lane}`;
  return `lanegate refused this run for ${lane} (${decision.reason ?? "refused"})`;
}
