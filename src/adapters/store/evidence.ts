// SQL for operation evidence: run evidence records, phases and the lanes' inventories. JSON
// columns are parsed by zod where they are read back, so a bad row cannot pose as evidence.
import { and, desc, eq, isNotNull, isNull } from "drizzle-orm";
import { z } from "zod";
import { EVIDENCE_ERRORS, type EvidenceError, resultArtifactSchema } from "../../core/evidence/artifact.ts";
import {
  type Deployment,
  INVENTORY_STATES,
  type Inventory,
  type InventoryStep,
  UNKNOWN_INVENTORY,
} from "../../core/evidence/inventory.ts";
import type { PhaseRecord } from "../../core/evidence/phases.ts";
import { first, type Q, tables } from "./db.ts";
import {
  equalsParam,
  excludedValues,
  inList,
  insertPlaceholders,
  insertValues,
  listValue,
  preparedOn,
} from "./prepared.ts";
import type * as s from "./schema.ts";

// The status comment reads its runs' evidence; every run's completion reads its own.
const prepared = preparedOn((q, t) => ({
  evidenceOf: q
    .select()
    .from(t.runEvidence)
    .where(
      and(
        equalsParam(t.runEvidence.repo, "repo"),
        equalsParam(t.runEvidence.runId, "runId"),
        equalsParam(t.runEvidence.attempt, "attempt"),
      ),
    )
    .prepare(),
  inventory: q
    .select()
    .from(t.laneInventory)
    .where(and(equalsParam(t.laneInventory.repo, "repo"), equalsParam(t.laneInventory.lane, "lane")))
    .prepare(),
  // A record its lease's expiry made is taken over whole by the run's own: every column but the id.
  open: q
    .insert(t.runEvidence)
    .values(insertPlaceholders(t.runEvidence))
    .onConflictDoUpdate({
      target: [t.runEvidence.repo, t.runEvidence.runId, t.runEvidence.attempt],
      set: excludedValues(t.runEvidence),
      setWhere: eq(t.runEvidence.status, "lease_expired"),
    })
    .prepare(),
  ofRuns: q
    .select()
    .from(t.runEvidence)
    .where(and(equalsParam(t.runEvidence.repo, "repo"), inList(q, t.runEvidence.runId, "runIds")))
    .orderBy(desc(t.runEvidence.id))
    .prepare(),
}));

export type EvidenceRow = typeof s.runEvidence.$inferSelect;

const deploymentSchema = z.object({
  artifact_id: z.string(),
  source_git_ref: z.string().nullable(),
  run_id: z.number(),
  run_attempt: z.number(),
  verified: z.boolean(),
});

/** What a reopened record forgets: the lease's verdict and its check run, kept in the audit log. */
const UNRECORDED = {
  row: null,
  laneState: null,
  reason: null,
  recordedAt: null,
  checkRunId: null,
  checkWrittenAt: null,
  writeError: null,
};

export type NewEvidence = Omit<typeof s.runEvidence.$inferInsert, "id" | "status">;

/**
 * A new record for a finished run, or the one already there: a redelivery has one effect. A record
 * its lease's expiry made is reopened, so the run's own evidence goes through the table too.
 */
export async function openEvidence(q: Q, row: NewEvidence): Promise<EvidenceRow> {
  const t = tables(q);
  await prepared(q).open.execute(
    insertValues(t.runEvidence, { ...row, status: "awaiting_artifact", ...UNRECORDED }),
  );
  return (await evidenceOf(q, row.repo, row.runId, row.attempt)) as EvidenceRow;
}

/**
 * The record of a run that ended with nothing to read, by the table's first row: `lease_expired`
 * when its lease ran out (its completion reopens the row), or `recorded` with the error when
 * GitHub no longer has the run. Returns the record made; none when the run already has a record:
 * its evidence (or its lease's) speaks for it.
 */
export async function recordWithoutRun(
  q: Q,
  row: NewEvidence & { lane: string },
  o: { step: InventoryStep; error: EvidenceError | null; at: string },
): Promise<EvidenceRow | undefined> {
  const t = tables(q);
  return first(
    q
      .insert(t.runEvidence)
      .values({
        ...row,
        status: o.error ? "recorded" : "lease_expired",
        errorCode: o.error?.code ?? null,
        errorMessage: o.error?.message ?? null,
        row: o.step.row,
        laneState: o.step.outcome,
        reason: o.step.reason,
        recordedAt: o.at,
      })
      .onConflictDoNothing()
      .returning(),
  );
}

export function evidenceOf(
  q: Q,
  repo: string,
  runId: number,
  attempt: number,
): Promise<EvidenceRow | undefined> {
  return first(prepared(q).evidenceOf.execute({ repo, runId, attempt }));
}

export async function awaitingEvidence(q: Q): Promise<EvidenceRow[]> {
  const t = tables(q);
  return q.select().from(t.runEvidence).where(eq(t.runEvidence.status, "awaiting_artifact"));
}

export async function unwrittenEvidenceChecks(q: Q): Promise<EvidenceRow[]> {
  const t = tables(q);
  return q
    .select()
    .from(t.runEvidence)
    .where(and(isNotNull(t.runEvidence.laneState), isNull(t.runEvidence.checkWrittenAt)));
}

export async function inventoryOf(q: Q, repo: string, lane: string): Promise<Inventory> {
  const row = await inventoryRow(q, repo, lane);
  if (!row) return UNKNOWN_INVENTORY;
  const deployment = deploymentSchema.nullable().safeParse(row.currentDeployment ?? null);
  return {
    state: z.enum(INVENTORY_STATES).catch("stale").parse(row.state),
    current_deployment: deployment.success ? (deployment.data as Deployment | null) : null,
  };
}

/** A lane's inventory row, if its first evidence was recorded. */
function inventoryRow(q: Q, repo: string, lane: string) {
  return first(prepared(q).inventory.execute({ repo, lane }));
}

export interface EvidenceOutcome {
  row: EvidenceRow;
  lane: string | null;
  artifact: unknown;
  error: EvidenceError | null;
  /** null when no lane is known, so no inventory changes. */
  step: InventoryStep | null;
  at: string;
}

/** Records the outcome of a run's evidence on its record. */
export async function recordEvidence(q: Q, o: EvidenceOutcome): Promise<void> {
  const t = tables(q);
  const { row, step, lane } = o;
  await q
    .update(t.runEvidence)
    .set({
      status: "recorded",
      lane,
      artifact: o.artifact ?? null,
      errorCode: o.error?.code ?? null,
      errorMessage: o.error?.message ?? null,
      row: step?.row ?? null,
      laneState: step?.outcome ?? null,
      reason: step?.reason ?? o.error?.message ?? null,
      recordedAt: o.at,
    })
    .where(eq(t.runEvidence.id, row.id));
}

/** Sets the lane's inventory to the step, naming the record of the run that caused it. */
export async function moveInventory(q: Q, row: EvidenceRow, lane: string, step: InventoryStep, at: string) {
  const t = tables(q);
  const values = {
    repo: row.repo,
    lane,
    state: step.state,
    reason: step.reason,
    currentDeployment: step.current_deployment,
    evidenceId: row.id,
    updatedAt: at,
  };
  const lastBootstrap =
    row.kind === "bootstrap"
      ? {
          lastBootstrap: {
            run_id: row.runId,
            run_attempt: row.attempt,
            operation_id: row.operationId,
            row: step.row,
            at,
          },
        }
      : {};
  await q
    .insert(t.laneInventory)
    .values({ ...values, ...lastBootstrap })
    .onConflictDoUpdate({
      target: [t.laneInventory.repo, t.laneInventory.lane],
      set: { ...values, ...lastBootstrap },
    });
}

/** A finished run that left nothing lanegate needs to act on (a refused run with no artifact). */
export async function ignoreEvidence(q: Q, id: number, reason: string, at: string) {
  const t = tables(q);
  await q
    .update(t.runEvidence)
    .set({ status: "ignored", reason, recordedAt: at })
    .where(eq(t.runEvidence.id, id));
}

export async function markEvidenceCheck(q: Q, id: number, checkRunId: number, at: string) {
  const t = tables(q);
  await q
    .update(t.runEvidence)
    .set({ checkRunId, checkWrittenAt: at, writeError: null })
    .where(eq(t.runEvidence.id, id));
}

export async function markEvidenceCheckError(q: Q, id: number, error: string) {
  const t = tables(q);
  await q.update(t.runEvidence).set({ writeError: error }).where(eq(t.runEvidence.id, id));
}

export async function phasesOf(q: Q, repo: string, runId: number, attempt: number): Promise<PhaseRecord[]> {
  const t = tables(q);
  const phases = await q
    .select()
    .from(t.evidencePhases)
    .where(
      and(
        eq(t.evidencePhases.repo, repo),
        eq(t.evidencePhases.runId, runId),
        eq(t.evidencePhases.attempt, attempt),
      ),
    )
    // The primary key's order, which SQLite gave without asking; PostgreSQL promises none.
    .orderBy(t.evidencePhases.phase);
  return phases.map((p) => ({
    phase: p.phase as PhaseRecord["phase"],
    job: p.job,
    status: p.status as PhaseRecord["status"],
    conclusion: p.conclusion,
    started_at: p.startedAt,
    completed_at: p.completedAt,
  }));
}

export async function savePhase(q: Q, repo: string, runId: number, attempt: number, p: PhaseRecord) {
  const t = tables(q);
  const values = {
    job: p.job,
    status: p.status,
    conclusion: p.conclusion,
    startedAt: p.started_at,
    completedAt: p.completed_at,
  };
  await q
    .insert(t.evidencePhases)
    .values({ repo, runId, attempt, phase: p.phase, ...values })
    .onConflictDoUpdate({
      target: [
        t.evidencePhases.repo,
        t.evidencePhases.runId,
        t.evidencePhases.attempt,
        t.evidencePhases.phase,
      ],
      set: values,
    });
}

/** The lane routes' `inventory`: `unknown` until the first evidence. */
export async function inventoryView(q: Q, repo: string, lane: string) {
  const row = await inventoryRow(q, repo, lane);
  if (!row)
    return { state: "unknown", reason: "no evidence yet", current_deployment: null, last_bootstrap: null };
  return {
    state: row.state,
    reason: row.reason,
    current_deployment: row.currentDeployment ?? null,
    last_bootstrap: row.lastBootstrap ?? null,
    updated_at: row.updatedAt,
  };
}

/** The evidence error a record holds, if any. */
export function errorOf(row: EvidenceRow): EvidenceError | null {
  const code = z.enum(EVIDENCE_ERRORS).safeParse(row.errorCode);
  return code.success ? { code: code.data, message: row.errorMessage ?? "" } : null;
}

/** The operation route's `phases` and `evidence`. */
export async function operationEvidenceView(q: Q, repo: string, runId: number, attempt: number) {
  const row = await evidenceOf(q, repo, runId, attempt);
  const artifact = resultArtifactSchema.safeParse(row?.artifact);
  return {
    phases: await phasesOf(q, repo, runId, attempt),
    evidence: row
      ? {
          status: row.status,
          kind: row.kind,
          artifact: artifact.success ? artifact.data : null,
          error: errorOf(row),
          lane_state: row.laneState,
          row: row.row,
          reason: row.reason,
          recorded_at: row.recordedAt,
          check_run_id: row.checkRunId,
        }
      : null,
  };
}

/** The lane state each of these runs left behind, for the status comment's recent runs. */
export async function laneStatesOfRuns(q: Q, repo: string, runIds: number[]): Promise<Map<string, string>> {
  if (runIds.length === 0) return new Map();
  const rows = await prepared(q).ofRuns.execute({ repo, runIds: listValue(q, runIds) });
  return new Map(rows.map((r) => [`${r.runId}:${r.attempt}`, r.laneState ?? r.status.replace("_", " ")]));
}
