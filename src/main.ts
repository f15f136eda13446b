// The production entry point: serves the GitHub App named by the environment. It never starts
// the local stand-in for GitHub; `npm start` without an App does that (standin/start.ts).
import { startLanegate } from "./server.ts";

await startLanegate({ env: process.env });
