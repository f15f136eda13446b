// The App's webhook delivery log, as GitHub keeps it for three days: what the receiver answered
// to each delivery, listed newest first by cursor, and a redelivery asked through the API.
import type { Ctx, HttpError, Reply, Route } from "./routes.ts";
import { appJson, iso, type Json } from "./shapes.ts";
import { type Delivery, deliver } from "./webhooks.ts";

export interface LoggedDelivery {
  id: number;
  guid: string;
  event: string;
  action: string | null;
  statusCode: number;
  deliveredAt: Date;
  redelivery: boolean;
  installationId: number | null;
  repositoryId: number | null;
}

export class HookLog {
  /** Oldest first. */
  readonly entries: LoggedDelivery[] = [];
  /** The deliveries an App asked for again, in order: whoever plays GitHub sends them. */
  readonly asked: LoggedDelivery[] = [];
  private lastId = 9_000_000_000;
  private readonly payloads = new Map<string, Delivery>();

  /** Sends a delivery to the receiver as GitHub does, and logs its answer (0: no answer). */
  async send(url: string, secret: string, d: Delivery, at: Date, redelivery = false): Promise<number> {
    this.payloads.set(d.id, d);
    const statusCode = await deliver(url, secret, d).catch(() => 0);
    const payload = d.payload as {
      action?: string;
      installation?: { id: number };
      repository?: { id: number };
    };
    this.record({
      guid: d.id,
      event: d.name,
      action: payload.action ?? null,
      statusCode,
      deliveredAt: at,
      redelivery,
      installationId: payload.installation?.id ?? null,
      repositoryId: payload.repository?.id ?? null,
    });
    return statusCode;
  }

  /** Plays GitHub answering the App's redelivery requests: each asked delivery is sent again. */
  async redeliverAsked(url: string, secret: string, at: Date): Promise<number[]> {
    const asked = this.asked.splice(0);
    const statuses: number[] = [];
    for (const entry of asked) {
      const d = this.payloads.get(entry.guid);
      if (d) statuses.push(await this.send(url, secret, d, at, true));
    }
    return statuses;
  }

  record(d: Omit<LoggedDelivery, "id" | "redelivery"> & { redelivery?: boolean }): LoggedDelivery {
    this.lastId += 1;
    const entry = { ...d, id: this.lastId, redelivery: d.redelivery ?? false };
    this.entries.push(entry);
    return entry;
  }
}

function itemJson(d: LoggedDelivery): Json {
  const ok = d.statusCode >= 200 && d.statusCode < 300;
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: iso(d.deliveredAt),
    redelivery: d.redelivery,
    duration: 0.12,
    status: ok ? "OK" : d.statusCode === 0 ? "Timed out" : `Invalid HTTP Response: ${d.statusCode}`,
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: d.installationId,
    repository_id: d.repositoryId,
    throttled_at: null,
  };
}

/** The App a manifest created, waiting for its code to be converted. */
export interface ManifestGrant {
  pem: string;
  webhookSecret: string;
}

export function hookRoutes(
  notFound: () => HttpError,
): [string, string, Route["auth"], (ctx: Ctx) => Reply][] {
  return [
    [
      "GET",
      "/app/hook/deliveries",
      "app",
      (ctx) => {
        const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page")) || 30));
        const newestFirst = [...ctx.s.hookLog.entries].reverse();
        const cursor = ctx.query.get("cursor");
        const start = cursor ? newestFirst.findIndex((d) => String(d.id) === cursor) : 0;
        const page = newestFirst.slice(Math.max(start, 0), Math.max(start, 0) + perPage);
        const next = newestFirst[Math.max(start, 0) + perPage];
        const headers: Record<string, string> = {};
        if (next) {
          const url = new URL(`${ctx.s.apiUrl}/app/hook/deliveries`);
          url.searchParams.set("per_page", String(perPage));
          url.searchParams.set("cursor", String(next.id));
          headers.link = `<${url}>; rel="next"`;
        }
        return { status: 200, json: page.map(itemJson), headers };
      },
    ],
    [
      // The manifest flow's last step: GitHub trades the one-time code for the new App's
      // credentials. No authentication: the code is the secret.
      "POST",
      "/app-manifests/{code}/conversions",
      "none",
      (ctx) => {
        const manifest = ctx.s.manifestCodes.get(ctx.params.code ?? "");
        if (!manifest) throw notFound();
        ctx.s.manifestCodes.delete(ctx.params.code ?? "");
        return {
          status: 201,
          json: {
            ...appJson(ctx.s),
            client_secret: "standin-client-secret",
            webhook_secret: manifest.webhookSecret,
            pem: manifest.pem,
          },
        };
      },
    ],
    [
      "POST",
      "/app/hook/deliveries/{delivery_id}/attempts",
      "app",
      (ctx) => {
        const found = ctx.s.hookLog.entries.find((d) => String(d.id) === ctx.params.delivery_id);
        if (!found) throw notFound();
        ctx.s.hookLog.asked.push(found);
        return { status: 202, json: {} };
      },
    ],
  ];
}
