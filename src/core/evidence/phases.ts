// Phases of a run from workflow_job deliveries. Deliveries arrive out of order and twice; the
// merge keeps the furthest status (by rank) and the earliest times, so any order gives one result.
import type { Phase } from "../config/schema.ts";

export const JOB_STATUSES = ["queued", "waiting", "in_progress", "completed"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface PhaseRecord {
  phase: Phase;
  job: string;
  status: JobStatus;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
}

const rank = (s: JobStatus) => JOB_STATUSES.indexOf(s);
const earliest = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a < b ? a : b);

/** The phase after one more delivery; equal ranks keep what is stored, so a duplicate changes nothing. */
export function mergePhase(stored: PhaseRecord | null, update: PhaseRecord): PhaseRecord {
  if (!stored) return update;
  const newer = rank(update.status) > rank(stored.status) ? update : stored;
  return {
    ...newer,
    started_at: earliest(stored.started_at, update.started_at),
    completed_at: earliest(stored.completed_at, update.completed_at),
  };
}

export function samePhase(a: PhaseRecord | null, b: PhaseRecord): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** Which phase a job is, through `evidence.jobs`; unmapped jobs are not lanegate's business. */
export function phaseOfJob(jobs: Record<string, Phase>, name: string): Phase | null {
  return jobs[name] ?? null;
}
