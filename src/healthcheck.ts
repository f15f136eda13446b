// The image's HEALTHCHECK: exit 0 when the server answers /healthz, 1 otherwise. A script rather
// than curl, because the slim runtime image has node and nothing else.
const port = process.env.PORT || "3000";
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
