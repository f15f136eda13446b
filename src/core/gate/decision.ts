// The gate decision: a pure function from a run's request and the stored facts to allowed or
// refused, carrying every check of the contract in order. Refusals are data, never exceptions.
import { z } from "zod";
import {
  defaultConfirmation,
  type LanePolicy,
  lanePolicySchema,
  normalizePhrase,
  rebuildSourceSchema,
} from "../domain.ts";
import { grantStateReason, REASON_CODES, type ReasonCode } from "./reasons.ts";
import { branchOf, type GateRequest, parseRequest } from "./request.ts";

export const CHECK_NAMES = [
  "dispatch",
  "grant",
  "grant_in_force",
  "confirmation",
  "proofs",
  "single_flight",
  "attempt",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface Check {
  name: CheckName;
  ok: boolean;
  /** Stable reason code for machines; `ok` when the check passed. */
  code: ReasonCode;
  /** The sentence an operator reads. */
  message: string;
}

export interface GrantFact {
  issueNumber: number;
  url: string;
  state: string;
  reason: string;
  /** Null for a claim the lifecycle held back before it had a policy (a lane the block may not weaken). */
  policy: LanePolicy | null;
  expiresAt: string | null;
  blockSha: string | null;
  /** The distinct approvers the grant needs and who counted; null when they were never counted. */
  approvals: { required: number; by: string[] } | null;
}

/** A grant whose policy names the requested source: the one a decision is about. */
type ClaimingGrant = GrantFact & { policy: LanePolicy };

export interface ProofRun {
  runId: number;
  /** When the run was created: a restore verification must start after the backup it checks. */
  startedAt: string;
  completedAt: string;
}

export interface ProofFacts {
  workflow: string;
  maxAgeHours: number;
  /** Successful runs of the proof workflow for this lane, joined to their dispatches. */
  runs: ProofRun[];
}

export interface GateFacts {
  /** A fact lanegate could not gather (an API fault): the run is refused, never guessed. */
  gatherError: string | null;
  /** Dispatch inputs the config declares besides the four. */
  declaredInputs: readonly string[];
  run: { runId: number; attempt: number; event: string; headBranch: string | null; finished: boolean };
  dispatch: { branch: string; inputs: Record<string, unknown> } | null;
  joinProblem: string | null;
  allowedBranches: string[];
  knownLanes: ReadonlySet<string>;
  /** The lane's grant rows that have not ended, from every approval issue. */
  grants: GrantFact[];
  backup: ProofFacts | null;
  restore: ProofFacts | null;
  /** Another run's operation holding the lane, if any. */
  inFlight: { runId: number; attempt: number } | null;
  earlierAttempts: { attempt: number; allowed: boolean }[];
  now: Date;
}

export interface Decision {
  allowed: boolean;
  request: GateRequest | null;
  checks: Check[];
  grant: ClaimingGrant | null;
  title: string;
}

/** One check as stored. */
export const checkSchema: z.ZodType<Check> = z.object({
  name: z.enum(CHECK_NAMES),
  ok: z.boolean(),
  code: z.enum(REASON_CODES),
  message: z.string(),
});

/** A decision as stored: read back with this schema, so a stored row is never trusted blindly. */
export const decisionSchema: z.ZodType<Decision> = z.object({
  allowed: z.boolean(),
  request: z
    .object({
      lane: z.string(),
      source: rebuildSourceSchema,
      confirmation: z.string(),
      extra: z.record(z.string(), z.string()),
    })
    .nullable(),
  checks: z.array(checkSchema),
  grant: z
    .object({
      issueNumber: z.number(),
      url: z.string(),
      state: z.string(),
      reason: z.string(),
      policy: lanePolicySchema,
      expiresAt: z.string().nullable(),
      blockSha: z.string().nullable(),
      // Decisions stored before the two-person rule were made under one approval.
      approvals: z
        .object({ required: z.number(), by: z.array(z.string()) })
        .nullable()
        .default(null),
    })
    .nullable(),
  title: z.string(),
});

/** The reason a decision gives: the first failing check's code, or `ok`. */
export const reasonOf = (d: Pick<Decision, "checks">): ReasonCode =>
  d.checks.find((c) => !c.ok)?.code ?? "ok";

const pass = (name: CheckName, message: string): Check => ({ name, ok: true, code: "ok", message });
const fail = (name: CheckName, code: ReasonCode, message: string): Check => ({
  name,
  ok: false,
  code,
  message,
});

export function decide(facts: GateFacts): Decision {
  if (facts.gatherError) return undecidable(facts.gatherError);
  const parsed = facts.dispatch ? parseRequest(facts.dispatch.inputs, facts.declaredInputs) : null;
  const request = parsed?.ok ? parsed.request : null;
  const checks: Check[] = [checkDispatch(facts, parsed)];
  const grant = request ? findGrant(facts.grants, request) : null;
  if (!request) {
    const skip = (name: CheckName) => fail(name, "no_request", "not checked: the run has no valid request");
    checks.push(...CHECK_NAMES.slice(1).map(skip));
  } else {
    checks.push(
      checkGrant(request, facts.grants, grant),
      checkInForce(grant, facts.now),
      checkConfirmation(request, grant),
      checkProofs(request, grant, facts),
      checkSingleFlight(request, facts),
      checkAttempt(facts),
    );
  }
  const allowed = checks.every((c) => c.ok);
  return {
    allowed,
    request,
    checks,
    grant,
    title: decisionTitle(allowed, request, grant?.issueNumber ?? null, checks),
  };
}

/** A fact could not be gathered from GitHub: refused, and no check is judged on guesses. */
function undecidable(error: string): Decision {
  const checks = CHECK_NAMES.map((name, i) =>
    i === 0
      ? fail(name, "github_unavailable", `could not gather the facts from GitHub: ${error}`)
      : fail(name, "not_checked", "not checked: the facts could not be gathered"),
  );
  return {
    allowed: false,
    request: null,
    checks,
    grant: null,
    title: decisionTitle(false, null, null, checks),
  };
}

/** The check run's one-line title: the decision, or the first reason it was refused. */
export function decisionTitle(
  allowed: boolean,
  request: GateRequest | null,
  issueNumber: number | null,
  checks: Check[],
): string {
  if (allowed)
    return `Allowed: ${request?.source} rebuild of ${request?.lane}, approved by issue #${issueNumber}`;
  return `Refused: ${checks.find((c) => !c.ok)?.message ?? "no decision"}`;
}

function checkDispatch(facts: GateFacts, parsed: ReturnType<typeof parseRequest> | null): Check {
  const problems: { code: ReasonCode; message: string }[] = [];
  const problem = (code: ReasonCode, message: string) => problems.push({ code, message });
  if (facts.run.event !== "workflow_dispatch") {
    problem("not_dispatched", `the run was started by ${facts.run.event}, not by a manual workflow_dispatch`);
  } else if (facts.joinProblem) {
    problem("ambiguous_dispatch", facts.joinProblem);
  } else if (!facts.dispatch) {
    problem("no_dispatch", "no workflow_dispatch delivery could be joined to this run");
  }
  if (facts.run.finished)
    problem("run_finished", "the run has already finished; there is nothing left to allow");
  if (facts.dispatch) {
    const branch = facts.run.headBranch ?? "(none)";
    if (branch !== facts.dispatch.branch) {
      problem("branch_mismatch", `the run is on ${branch} but was dispatched from ${facts.dispatch.branch}`);
    }
    if (!facts.allowedBranches.includes(branchOf(branch))) {
      const allowed = facts.allowedBranches.join(", ");
      problem("branch_not_allowed", `${branch} is not an allowed branch (allowed: ${allowed})`);
    }
  }
  if (parsed && !parsed.ok) problems.push(...parsed.problems);
  if (parsed?.ok && !facts.knownLanes.has(parsed.request.lane)) {
    const lane = parsed.request.lane;
    problem("unknown_lane", `${lane} is an unknown lane: neither the config nor any approval issue names it`);
  }
  const first = problems[0];
  if (first) return fail("dispatch", first.code, problems.map((p) => p.message).join("; "));
  return pass("dispatch", `dispatched by hand from ${facts.run.headBranch} for a known lane`);
}

/** The grant that could allow this request: an active one first, else one that is merely held. */
function findGrant(grants: GrantFact[], request: GateRequest): ClaimingGrant | null {
  const allowing = grants.filter(
    (g): g is ClaimingGrant => g.policy?.allowed_rebuild_sources.includes(request.source) ?? false,
  );
  return allowing.find((g) => g.state === "active") ?? allowing.find((g) => g.state === "suspended") ?? null;
}

function checkGrant(request: GateRequest, grants: GrantFact[], grant: ClaimingGrant | null): Check {
  if (grant) {
    return pass("grant", `issue #${grant.issueNumber} grants ${request.lane} the ${request.source} source`);
  }
  const other = grants.find((g) => g.state === "active" && g.policy !== null);
  if (other?.policy) {
    const allowed = other.policy.allowed_rebuild_sources.join(", ");
    return fail(
      "grant",
      "source_not_allowed",
      `issue #${other.issueNumber} allows ${allowed} for ${request.lane}, not ${request.source}`,
    );
  }
  const held = grants.map((g) => `#${g.issueNumber} is ${g.state}: ${g.reason}`).join("; ");
  // A grant for this source that is held back (invalid under the baseline, pending, in conflict)
  // names its state; with none at all, there is no grant.
  const heldBack =
    grants.find((g) => g.policy?.allowed_rebuild_sources.includes(request.source)) ??
    grants.find((g) => g.policy === null);
  return fail(
    "grant",
    heldBack ? grantStateReason(heldBack) : "no_grant",
    `no active approval issue grants ${request.lane}${held ? ` (${held})` : ""}`,
  );
}

function checkInForce(grant: GrantFact | null, now: Date): Check {
  if (!grant) return fail("grant_in_force", "no_grant", "no grant to check");
  if (grant.state !== "active") {
    return fail(
      "grant_in_force",
      grantStateReason(grant),
      `the grant from issue #${grant.issueNumber} is ${grant.state}: ${grant.reason}`,
    );
  }
  const { required, by } = grant.approvals ?? { required: 1, by: [] };
  if (grant.approvals && by.length < required) {
    const who = by.length ? `: ${by.join(", ")}` : "";
    return fail("grant_in_force", "approvals_missing", `${by.length} of ${required} approvals${who}`);
  }
  // The gate checks the time itself rather than trusting the sweep to have run.
  if (grant.expiresAt && Date.parse(grant.expiresAt) <= now.getTime()) {
    return fail(
      "grant_in_force",
      "grant_expired",
      `the grant from issue #${grant.issueNumber} expired at ${grant.expiresAt}`,
    );
  }
  return pass(
    "grant_in_force",
    grant.expiresAt ? `in force until ${grant.expiresAt}` : "in force, with no expiry",
  );
}

function checkConfirmation(request: GateRequest, grant: ClaimingGrant | null): Check {
  if (!grant) return fail("confirmation", "no_grant", "no grant to compare the phrase with");
  const expected = grant.policy.confirmation ?? defaultConfirmation(request.lane, request.source);
  if (normalizePhrase(request.confirmation) === normalizePhrase(expected)) {
    return pass("confirmation", "the confirmation phrase matches");
  }
  return fail(
    "confirmation",
    "wrong_confirmation",
    `the confirmation phrase does not match; type "${expected}"`,
  );
}

function checkProofs(request: GateRequest, grant: ClaimingGrant | null, facts: GateFacts): Check {
  const policy = grant?.policy;
  if (!policy) return fail("proofs", "no_grant", "no grant to read the proof requirements from");
  if (!policy.requires_backup_before_destroy && !policy.requires_restore_proof) {
    return pass("proofs", "no proofs required for this lane");
  }
  const fresh = (p: ProofFacts, r: ProofRun) =>
    facts.now.getTime() - Date.parse(r.completedAt) <= p.maxAgeHours * 3_600_000;
  // The latest backup counts for ordering even when it is too old to be a proof itself.
  const backup = [...(facts.backup?.runs ?? [])].sort((a, b) =>
    b.completedAt.localeCompare(a.completedAt),
  )[0];
  if (policy.requires_backup_before_destroy) {
    if (!facts.backup) {
      return fail("proofs", "no_backup_workflow", "a backup is required but proofs.backup is not configured");
    }
    if (!backup || !fresh(facts.backup, backup)) {
      const { workflow, maxAgeHours } = facts.backup;
      return fail(
        "proofs",
        "no_fresh_backup",
        `no successful ${workflow} run for ${request.lane} in the last ${maxAgeHours} h`,
      );
    }
  }
  if (policy.requires_restore_proof) {
    const restore = facts.restore;
    if (!restore) {
      return fail(
        "proofs",
        "no_restore_workflow",
        "a restore proof is required but proofs.restore is not configured",
      );
    }
    const verified = restore.runs.filter(
      (r) => fresh(restore, r) && (!backup || r.startedAt > backup.completedAt),
    );
    if (verified.length === 0) {
      const why = `no successful ${restore.workflow} run for ${request.lane} that started after the latest backup finished`;
      return fail("proofs", "no_restore_proof", why);
    }
  }
  return pass(
    "proofs",
    backup
      ? `backup run ${backup.runId} is fresh and verified by a later restore`
      : "the required proofs are fresh",
  );
}

function checkSingleFlight(request: GateRequest, facts: GateFacts): Check {
  if (!facts.inFlight) return pass("single_flight", `no other operation on ${request.lane} is in flight`);
  return fail(
    "single_flight",
    "lane_busy",
    `run ${facts.inFlight.runId} (attempt ${facts.inFlight.attempt}) is already operating on ${request.lane}`,
  );
}

function checkAttempt(facts: GateFacts): Check {
  if (facts.run.attempt === 1) return pass("attempt", "first attempt of this dispatch");
  const allowed = facts.earlierAttempts.find((a) => a.attempt < facts.run.attempt && a.allowed);
  if (allowed) {
    return fail(
      "attempt",
      "rerun_of_allowed",
      `attempt ${allowed.attempt} of this run was already allowed; dispatch a new run instead of re-running`,
    );
  }
  return pass("attempt", "earlier attempts were refused, so this re-run is a fresh request");
}
