// compose.replicas.yaml, read rather than run (no container engine runs on these machines): the
// facts two replicas on one PostgreSQL store depend on. What this does not prove: that compose
// accepts the file, the postgres image's behaviour, and the network; those need a container engine.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

const root = resolve(import.meta.dirname, "../..");

const service = z.object({
  build: z.string().optional(),
  image: z.string(),
  env_file: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
});
const composeFile = z.object({
  services: z.record(z.string(), service),
  volumes: z.record(z.string(), z.unknown().nullable()),
});

// Compose's merge keys (`<<: *lanegate`) are YAML 1.1, which the yaml package reads when asked.
const compose = composeFile.parse(
  parse(readFileSync(join(root, "compose.replicas.yaml"), "utf8"), { merge: true }),
);
const services = Object.entries(compose.services);
const replicas = services.filter(([, s]) => s.build !== undefined);

/** `${POSTGRES_PASSWORD:?…}` as compose fills it in from .env. */
const interpolated = (text: string) => text.replace(/\$\{POSTGRES_PASSWORD(:\?[^}]*)?\}/g, "s3cret");

describe("compose.replicas.yaml", () => {
  it("runs two lanegate replicas of one image built from the Dockerfile, reading .env", () => {
    expect(replicas.map(([name]) => name)).toHaveLength(2);
    for (const [, replica] of replicas) {
      expect(replica.build).toBe(".");
      expect(replica.image).toBe("lanegate:latest");
      expect([replica.env_file].flat()).toContain(".env");
    }
    const published = replicas.flatMap(([, r]) => r.ports ?? []);
    expect(published.every((p) => p.startsWith("127.0.0.1:"))).toBe(true);
    expect(new Set(published.map((p) => p.split(":")[1])).size).toBe(2);
  });

  it("points both at the postgres:15 service, started only once it answers", () => {
    for (const [name, replica] of replicas) {
      const url = new URL(interpolated(replica.environment?.DATABASE_URL ?? ""));
      expect(url.protocol, name).toBe("postgres:");
      const database = compose.services[url.hostname];
      expect(database?.image, `${name} names the service ${url.hostname}`).toBe("postgres:15");
      expect(database?.environment).toMatchObject({
        POSTGRES_USER: url.username,
        POSTGRES_DB: url.pathname.slice(1),
      });
      expect(interpolated(database?.environment?.POSTGRES_PASSWORD ?? "")).toBe(url.password);
      expect(replica.depends_on?.[url.hostname]?.condition).toBe("service_healthy");
    }
  });

  it("gives PostgreSQL a health check and a named volume, and never publishes it", () => {
    const [, database] = services.find(([, s]) => s.image.startsWith("postgres:")) ?? [];
    expect(database?.healthcheck?.test.join(" ")).toContain("pg_isready");
    const [volume, path] = (database?.volumes?.[0] ?? "").split(":");
    expect(path).toBe("/var/lib/postgresql/data");
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(database?.ports).toBeUndefined();
  });
});
