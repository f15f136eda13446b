// The production entry point: serves the GitHub App named by the environment (and `.env`). It
// never starts the local stand-in for GitHub; `npm start` without an App does that (standin/start.ts).
import { EnvError, withDotenv } from "./env.ts";
import { startLanegate } from "./server.ts";

try {
  const running = await startLanegate({ env: withDotenv(process.env) });
  const stop = async (signal: NodeJS.Signals) => {
    running.lifecycle.warn(`${signal}: stopping`);
    await running.stop();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  // A configuration mistake is one line; anything else still says what failed, without a trace.
  const message = error instanceof EnvError ? error.message : `could not start: ${(error as Error).message}`;
  console.error(`lanegate: ${message}`);
  process.exit(1);
}
