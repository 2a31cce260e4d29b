import { Injectable } from '@nestjs/common';
import { AgentStatsRepository } from './agent-stats.repository';
import type { AgentStatsResponse, AgentStatsRow } from './agent-stats.responses';
import { mergeHistogram, percentileOf, type LatencyHistogram } from './latency-histogram';
import { resolveWindow } from './stats-window';

/** The operators' view of the agents over a window of days, read from the rollup. */
@Injectable()
export class AgentStatsService {
  constructor(private readonly stats: AgentStatsRepository) {}

  async read(query: { from?: string; to?: string }, now: Date): Promise<AgentStatsResponse> {
    const window = resolveWindow(query, now);
    const [totals, conversations, latency] = await Promise.all([
      this.stats.totals(window),
      this.stats.conversations(window),
      this.stats.latency(window),
    ]);
    const conversationsOf = new Map(conversations.map((row) => [row.agent, row.conversations]));
    const histograms = new Map<string, LatencyHistogram>();
    for (const { agent, bucket, count } of latency) {
      const histogram = histograms.get(agent) ?? {};
      mergeHistogram(histogram, { [bucket]: count });
      histograms.set(agent, histogram);
    }
    const agents: AgentStatsRow[] = totals.map((row) => {
      const histogram = histograms.get(row.agent) ?? {};
      return {
        agent: row.agent,
        messages: row.messages,
        conversations: conversationsOf.get(row.agent) ?? 0,
        feedback_up: row.feedback_up,
        feedback_down: row.feedback_down,
        prompt_tokens: row.prompt_tokens,
        completion_tokens: row.completion_tokens,
        latency_ms_p50: percentileOf(histogram, 50),
        latency_ms_p95: percentileOf(histogram, 95),
      };
    });
    agents.sort((a, b) => b.messages - a.messages || (a.agent < b.agent ? -1 : 1));
    return { ...window, agents };
  }
}
