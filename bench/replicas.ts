// `npx tsx bench/replicas.ts`: the gate's throughput with one replica on SQLite, one on
// PostgreSQL and two on PostgreSQL (bench/replica-throughput.ts), alone. `npm run bench` runs
// the same measures after its store sections.
//
//   BENCH_SECONDS (20) measured per setup after 3 s of warm-up,
//   BENCH_IN_FLIGHT (8) pairs in flight at once
import { postgresForTests } from "../test/support/postgres.ts";
import { renderThroughput, replicaThroughput } from "./replica-throughput.ts";

const options = {
  seconds: Number(process.env.BENCH_SECONDS ?? 20),
  inFlight: Number(process.env.BENCH_IN_FLIGHT ?? 8),
};
const postgres = await postgresForTests();
if (postgres.problem) {
  console.error(`bench/replicas.ts needs PostgreSQL: ${postgres.problem}`);
  process.exit(1);
}
const results = await replicaThroughput(options);
console.log(renderThroughput(results, options));
process.exit(results.some((r) => r.failed > 0 || r.wrong > 0) ? 1 : 0);
