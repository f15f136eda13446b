// Calls made as the App itself (its JWT, no installation): the webhook deliveries GitHub keeps
// for three days, and asking for one of them again.
import { z } from "zod";
import type { Octokit } from "./client.ts";

const hookDelivery = z.object({
  id: z.number(),
  guid: z.string(),
  delivered_at: z.string(),
  redelivery: z.boolean(),
  status: z.string(),
  status_code: z.number(),
  event: z.string(),
  action: z.string().nullable(),
});
export type HookDelivery = z.infer<typeof hookDelivery>;

/**
 * The App's deliveries, newest first, back to `since`. GitHub pages this list by cursor (given in
 * the Link header), not by page number.
 */
export async function hookDeliveriesSince(octokit: Octokit, since: Date): Promise<HookDelivery[]> {
  const found: HookDelivery[] = [];
  let cursor: string | undefined;
  for (;;) {
    const response = await octokit.request("GET /app/hook/deliveries", {
      per_page: 100,
      ...(cursor ? { cursor } : {}),
    });
    const page = z.array(hookDelivery).parse(response.data);
    const recent = page.filter((d) => new Date(d.delivered_at) >= since);
    found.push(...recent);
    cursor = nextCursor(response.headers.link);
    if (!cursor || recent.length < page.length) return found;
  }
}

function nextCursor(link: string | undefined): string | undefined {
  const next = link?.split(",").find((part) => /rel="next"/.test(part));
  const url = next?.match(/<([^>]+)>/)?.[1];
  return url ? (new URL(url).searchParams.get("cursor") ?? undefined) : undefined;
}

/** Asks GitHub to send a delivery again; it keeps the delivery's guid. */
export async function redeliver(octokit: Octokit, deliveryId: number): Promise<void> {
  await octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: deliveryId });
}
