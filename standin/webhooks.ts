// Webhook deliveries as GitHub sends them: the common envelope, the signature, the POST.
import { createHmac, randomUUID } from "node:crypto";
import type { Model, Repo } from "./model.ts";
import { type Json, repoJson, userJson } from "./shapes.ts";

export interface Delivery {
  name: string;
  id: string;
  payload: Json;
}

export function delivery(name: string, payload: Json): Delivery {
  return { name, id: randomUUID(), payload };
}

/** The fields every repository delivery to an installed app carries. */
export function envelope(s: Model, repo: Repo, sender: string): Json {
  return {
    repository: repoJson(s, repo),
    sender: userJson(s, sender),
    installation: {
      id: repo.installationId,
      node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${repo.installationId}`,
    },
  };
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** POSTs one delivery the way GitHub does and answers the receiver's status code. */
export async function deliver(url: string, secret: string, d: Delivery): Promise<number> {
  const body = JSON.stringify(d.payload);
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/standin",
      "x-github-event": d.name,
      "x-github-delivery": d.id,
      "x-github-hook-installation-target-type": "integration",
      "x-hub-signature-256": sign(secret, body),
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}
