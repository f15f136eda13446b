// A free port on 127.0.0.1, for servers that must be told theirs before they start (Probot takes
// PORT=0 as unset and falls back to 3000). Shared by the tests and the bench's server processes.
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
