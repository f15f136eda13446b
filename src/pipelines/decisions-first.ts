// Decisions first: while a gate delivery of an installation is being decided and published,
// batched status-comment refreshes of that installation wait. Comments have a write queue of their own
// (statusCommentClient), so a decision never waits behind one; waiting here keeps the two queues
// from writing at twice GitHub's pace during a burst. A comment waits at most MAX_WAIT_MS.
const deciding = new Map<number, number>();
const idle = new Map<number, (() => void)[]>();

const MAX_WAIT_MS = 30_000;

export async function whileDeciding<T>(installationId: number | null, job: () => Promise<T>): Promise<T> {
  if (installationId === null) return job();
  deciding.set(installationId, (deciding.get(installationId) ?? 0) + 1);
  try {
    return await job();
  } finally {
    const left = (deciding.get(installationId) ?? 1) - 1;
    if (left > 0) deciding.set(installationId, left);
    else {
      deciding.delete(installationId);
      for (const wake of idle.get(installationId)?.splice(0) ?? []) wake();
    }
  }
}

/** Resolves once no decision of the installation is in progress (or after MAX_WAIT_MS). */
export function afterDecisions(installationId: number | null): Promise<void> {
  if (installationId === null || !deciding.has(installationId)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, MAX_WAIT_MS);
    timer.unref();
    const waiting = idle.get(installationId) ?? [];
    waiting.push(() => {
      clearTimeout(timer);
      resolve();
    });
    idle.set(installationId, waiting);
  });
}
