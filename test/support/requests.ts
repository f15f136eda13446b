// Counting the API requests a piece of work makes against the stand-in.
import type { RecordedRequest } from "../../standin/index.ts";
import type { World } from "./world.ts";

/** The requests made while `work` runs, the installation-token requests left out. */
export async function requestsDuring(w: World, work: () => Promise<unknown>): Promise<RecordedRequest[]> {
  const start = w.gh.requests.length;
  await work();
  return w.gh.requests.slice(start).filter((r) => !r.path.endsWith("/access_tokens"));
}

export const configReads = (requests: RecordedRequest[]) =>
  requests.filter((r) => r.path.includes("/contents/"));

export const writes = (requests: RecordedRequest[]) => requests.filter((r) => r.method !== "GET");
