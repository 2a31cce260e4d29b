import { latencyBucket } from './latency-histogram';
import { rollupDeltas, ROLLUP_SHARDS, shardOf } from './answer-rollup';

const at = new Date('2026-12-01T10:00:00Z');

describe('rollupDeltas', () => {
  it('adds up one write per (day, agent, shard), tokens and latency buckets included', () => {
    const deltas = rollupDeltas([
      {
        agent: 'regulation_agent',
        userId: 17,
        timestamp: at,
        promptTokens: 10,
        completionTokens: 5,
        latencyMs: 1200,
      },
      { agent: 'regulation_agent', userId: 17, timestamp: at, latencyMs: 2400 },
      { agent: 'regulation_agent', userId: 17, timestamp: at, latencyMs: 1201 },
      { agent: 'consultation_agent', userId: 17, timestamp: at, promptTokens: 3 },
      { agent: null, userId: 17, timestamp: at, promptTokens: 99, latencyMs: 5 },
    ]);
    expect(deltas).toEqual([
      {
        day: '2026-12-01',
        agent: 'consultation_agent',
        shard: shardOf(17),
        messages: 1,
        prompt_tokens: 3,
        completion_tokens: 0,
        latency: {},
      },
      {
        day: '2026-12-01',
        agent: 'regulation_agent',
        shard: shardOf(17),
        messages: 3,
        prompt_tokens: 10,
        completion_tokens: 5,
        latency: { [latencyBucket(1200)]: 2, [latencyBucket(2400)]: 1 },
      },
    ]);
  });

  it('spreads users over the shards and keeps each user in one', () => {
    const shards = new Set(Array.from({ length: 100 }, (_, i) => shardOf(i + 1)));
    expect(shards.size).toBe(ROLLUP_SHARDS);
    expect(shardOf(5)).toBe(shardOf(5 + ROLLUP_SHARDS));
  });

  it('writes nothing for an append without a named agent', () => {
    expect(rollupDeltas([{ agent: null, userId: 1, timestamp: at }])).toEqual([]);
    expect(rollupDeltas([])).toEqual([]);
  });
});
