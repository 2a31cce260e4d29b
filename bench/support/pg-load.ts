import { Pool } from 'pg';
import type { LoadResult } from './load';
import { percentile } from './random';

/**
 * The baseline side: `work` issued straight through `pg` by `concurrency` loops for `seconds`,
 * the same shape of load autocannon puts on the app.
 */
export async function runPgLoad(
  pool: Pool,
  work: (pool: Pool, i: number) => Promise<void>,
  options: { concurrency?: number; seconds?: number } = {},
): Promise<LoadResult> {
  const concurrency = options.concurrency ?? 50;
  const deadline = performance.now() + (options.seconds ?? 10) * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        try {
          await work(pool, (counter += 1));
          latencies.push(performance.now() - started);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return {
    requestsPerSecond: latencies.length / (options.seconds ?? 10),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    non2xx: 0,
    total: latencies.length,
  };
}
