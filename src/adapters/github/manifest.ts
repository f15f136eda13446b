// The last step of GitHub's App manifest flow: trade the one-time code from the redirect for the
// new App's id, private key and webhook secret. Needs no authentication: the code is the secret.
import { z } from "zod";
import type { Octokit } from "./client.ts";

const conversion = z.object({
  id: z.number(),
  slug: z.string().optional(),
  html_url: z.string(),
  pem: z.string(),
  webhook_secret: z.string().nullable(),
  client_id: z.string(),
  client_secret: z.string(),
});
export type NewApp = z.infer<typeof conversion>;

export async function convertManifest(octokit: Pick<Octokit, "request">, code: string): Promise<NewApp> {
  const response = await octokit.request("POST /app-manifests/{code}/conversions", { code });
  return conversion.parse(response.data);
}
