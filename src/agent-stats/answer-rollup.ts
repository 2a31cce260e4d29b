import { latencyBucket, type LatencyHistogram } from './latency-histogram';
import { utcDay } from './stats-window';

/**
 * Rows per (day, agent): a user's appends always land in the same shard, so different users
 * rarely wait on each other's row lock, and reads add the shards up.
 */
export const ROLLUP_SHARDS = 16;

export function shardOf(userId: number): number {
  return userId % ROLLUP_SHARDS;
}

/** One stored assistant message, as the agents' figures see it. */
export interface RecordedAnswer {
  agent: string | null;
  userId: number;
  timestamp: Date;
  promptTokens?: number;
  completionTokens?: number;
  latencyMs?: number;
}

/** What one write adds to one rollup row. */
export interface RollupDelta {
  day: string;
  agent: string;
  shard: number;
  messages: number;
  prompt_tokens: number;
  completion_tokens: number;
  latency: LatencyHistogram;
}

/**
 * The answers of one write, added up per row (a row once: one upsert cannot touch a row twice)
 * and sorted, so that concurrent writes lock shared rows in the same order. Answers naming no
 * agent belong to no agent's figures.
 */
export function rollupDeltas(answers: readonly RecordedAnswer[]): RollupDelta[] {
  const rows = new Map<string, RollupDelta>();
  for (const answer of answers) {
    if (!answer.agent) continue;
    const day = utcDay(answer.timestamp);
    const shard = shardOf(answer.userId);
    const key = `${day}|${shard}|${answer.agent}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        day,
        agent: answer.agent,
        shard,
        messages: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        latency: {},
      };
      rows.set(key, row);
    }
    row.messages += 1;
    row.prompt_tokens += answer.promptTokens ?? 0;
    row.completion_tokens += answer.completionTokens ?? 0;
    if (answer.latencyMs !== undefined) {
      const bucket = String(latencyBucket(answer.latencyMs));
      row.latency[bucket] = (row.latency[bucket] ?? 0) + 1;
    }
  }
  return [...rows.values()].sort(
    (a, b) =>
      a.day.localeCompare(b.day) ||
      a.shard - b.shard ||
      (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0),
  );
}
