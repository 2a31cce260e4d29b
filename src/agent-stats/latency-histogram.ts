/**
 * Approximate latency percentiles from a log-bucket histogram, which the daily rollup can add up
 * across days and shards. Bucket 0 holds 0 ms; bucket k >= 1 holds the integers x with
 * RATIO^(k-1) <= x < RATIO^k. A percentile is found in its exact bucket (counts are exact) and
 * estimated as 2ab/(a+b), a and b the smallest and largest integers the bucket can hold: for any
 * x in [a, b] the relative error is at most (b-a)/(a+b) < (RATIO-1)/(RATIO+1) = 3.85%. Rounding to
 * 0.1 ms adds at most 0.05/a, and a >= 16 in every bucket that holds two integers or more (a
 * bucket holding one integer answers it exactly): at most 4.2% in all.
 */
export const LATENCY_BUCKET_RATIO = 1.08;
export const LATENCY_ERROR_BOUND = 0.042;

const LOG_RATIO = Math.log(LATENCY_BUCKET_RATIO);

/** Bucket index to count, as the rollup stores it (JSON keys are text). */
export type LatencyHistogram = Record<string, number>;

export function latencyBucket(latencyMs: number): number {
  return latencyMs <= 0 ? 0 : 1 + Math.floor(Math.log(latencyMs) / LOG_RATIO);
}

/** The smallest and largest integer milliseconds of a bucket (by the same function that fills it). */
export function bucketRange(bucket: number): { low: number; high: number } {
  if (bucket === 0) return { low: 0, high: 0 };
  let low = Math.max(1, Math.ceil(LATENCY_BUCKET_RATIO ** (bucket - 1)));
  while (low > 1 && latencyBucket(low - 1) === bucket) low -= 1;
  while (latencyBucket(low) < bucket) low += 1;
  let high = Math.max(low, Math.floor(LATENCY_BUCKET_RATIO ** bucket));
  while (latencyBucket(high) > bucket) high -= 1;
  while (latencyBucket(high + 1) === bucket) high += 1;
  return { low, high };
}

/** Adds `other` into `into` (both bucket to count). */
export function mergeHistogram(into: LatencyHistogram, other: LatencyHistogram): void {
  for (const [bucket, count] of Object.entries(other)) into[bucket] = (into[bucket] ?? 0) + count;
}

/**
 * The nearest-rank `p`-th percentile (0 < p <= 100: the value at rank ceil(p/100 * n)), estimated
 * within LATENCY_ERROR_BOUND; null for an empty histogram.
 */
export function percentileOf(histogram: LatencyHistogram, p: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([bucket, count]) => ({ bucket: Number(bucket), count }))
    .filter(({ count }) => count > 0)
    .sort((a, b) => a.bucket - b.bucket);
  const total = buckets.reduce((sum, { count }) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const { bucket, count } of buckets) {
    seen += count;
    if (seen >= rank) {
      const { low, high } = bucketRange(bucket);
      if (low === high) return low;
      return Math.round((20 * low * high) / (low + high)) / 10;
    }
  }
  return null;
}
