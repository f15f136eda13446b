// `npm run demo`: the real app server against the local stand-in for GitHub, driven through the
// CM and OPW story with signed webhooks. It prints what lanegate did after each step and leaves
// the database behind for the CLI.
import { parseArgs } from "node:util";
import { playStory } from "../standin/story.ts";
import { DEMO_REPO } from "../standin/world.ts";

const { values } = parseArgs({
  options: {
    serve: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(
    "Usage: npm run demo [-- --serve]\n\n--serve  keep the app and the stand-in running after the story",
  );
  process.exit(0);
}

const { app, local, base } = await playStory({
  dbFile: "data/demo.sqlite",
  port: process.env.PORT ?? "3100",
});
if (values.serve) {
  console.log(`\nServing: ${base}/lanegate/api/repos/${DEMO_REPO}/lanes (Ctrl-C to stop)`);
} else {
  await app.stop();
  await local.running.close();
}
