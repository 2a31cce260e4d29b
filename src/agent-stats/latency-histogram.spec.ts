import fc from 'fast-check';
import { INT32_MAX } from '../common/limits';
import {
  bucketRange,
  LATENCY_ERROR_BOUND,
  latencyBucket,
  mergeHistogram,
  percentileOf,
  type LatencyHistogram,
} from './latency-histogram';

function histogramOf(values: number[]): LatencyHistogram {
  const histogram: LatencyHistogram = {};
  for (const value of values) mergeHistogram(histogram, { [latencyBucket(value)]: 1 });
  return histogram;
}

/** The nearest-rank percentile: the value at rank ceil(p/100 * n). */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

describe('latency histogram', () => {
  it('puts every integer millisecond in the bucket whose range holds it, up to INTEGER', () => {
    for (let ms = 0; ms <= 100_000; ms += 1) {
      const { low, high } = bucketRange(latencyBucket(ms));
      if (ms < low || ms > high) throw new Error(`${ms} outside ${low}..${high}`);
    }
    const top = bucketRange(latencyBucket(INT32_MAX));
    expect(top.low).toBeLessThanOrEqual(INT32_MAX);
    expect(top.high).toBeGreaterThanOrEqual(INT32_MAX);
  });

  it('answers small latencies exactly and the empty histogram with null', () => {
    expect(percentileOf(histogramOf([0, 1, 2, 3, 4]), 50)).toBe(2);
    expect(percentileOf(histogramOf([0]), 95)).toBe(0);
    expect(percentileOf(histogramOf([7, 9, 11, 12]), 95)).toBe(12);
    expect(percentileOf({}, 50)).toBeNull();
    expect(percentileOf({ '5': 0 }, 50)).toBeNull();
  });

  it('estimates p50 and p95 within the stated bound of the exact nearest-rank value', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 200 }),
            fc.integer({ min: 0, max: 120_000 }),
            fc.integer({ min: 0, max: INT32_MAX }),
          ),
          { minLength: 1, maxLength: 300 },
        ),
        fc.constantFrom(50, 95, 99, 1, 100),
        (values, p) => {
          const exact = exactPercentile(values, p);
          const estimate = percentileOf(histogramOf(values), p)!;
          const error = exact === 0 ? estimate : Math.abs(estimate - exact) / exact;
          return error <= LATENCY_ERROR_BOUND;
        },
      ),
      { numRuns: 2000, seed: 20261201 },
    );
    expect(LATENCY_ERROR_BOUND).toBeLessThanOrEqual(0.05);
  });

  it('adds histograms bucket by bucket, as the rollup does across days and shards', () => {
    const histogram: LatencyHistogram = { '3': 1 };
    mergeHistogram(histogram, { '3': 2, '40': 1 });
    expect(histogram).toEqual({ '3': 3, '40': 1 });
  });
});
