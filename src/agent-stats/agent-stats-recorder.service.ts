import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { agentLabel, METRICS } from '../metrics/metric-names';
import { rollupDeltas, shardOf, type RecordedAnswer } from './answer-rollup';
import { AgentStatsRepository } from './agent-stats.repository';
import { utcDay } from './stats-window';

export type Rating = 'up' | 'down';

/** A message's rating before and after one feedback write (null: none). */
export interface FeedbackChange {
  agent: string | null;
  userId: number;
  /** The rated message's time: its day's figures hold the rating. */
  timestamp: Date | null;
  previous: Rating | null;
  next: Rating | null;
}

/**
 * Moves the agents' figures with each write, inside the caller's transaction: the daily rollup
 * (what `GET /api/v1/agents/stats` reads) and the Prometheus series.
 */
@Injectable()
export class AgentStatsRecorder {
  constructor(
    private readonly stats: AgentStatsRepository,
    @InjectMetric(METRICS.messageFeedback) private readonly feedback: Counter<'agent' | 'rating'>,
    @InjectMetric(METRICS.agentTokens) private readonly tokens: Counter<'agent' | 'kind'>,
    @InjectMetric(METRICS.agentLatency) private readonly latency: Histogram<'agent'>,
  ) {}

  /** The assistant messages one append stored in one conversation. */
  async recordAnswers(conversationId: string, answers: readonly RecordedAnswer[]): Promise<void> {
    const deltas = rollupDeltas(answers);
    if (deltas.length > 0) await this.stats.addAnswers(conversationId, deltas);
    for (const answer of answers) {
      const agent = agentLabel(answer.agent);
      if (answer.promptTokens !== undefined)
        this.tokens.inc({ agent, kind: 'prompt' }, answer.promptTokens);
      if (answer.completionTokens !== undefined)
        this.tokens.inc({ agent, kind: 'completion' }, answer.completionTokens);
      if (answer.latencyMs !== undefined) this.latency.observe({ agent }, answer.latencyMs / 1000);
    }
  }

  /**
   * The rollup holds each message's current rating (a replace moves it from one side to the
   * other, a removal takes it away). The counter, which can only go up, counts ratings given: a
   * new rating or a changed one; a replace with the same rating (a new comment) and a removal
   * leave it.
   */
  async recordFeedback(change: FeedbackChange): Promise<void> {
    const up = Number(change.next === 'up') - Number(change.previous === 'up');
    const down = Number(change.next === 'down') - Number(change.previous === 'down');
    if (change.agent && change.timestamp && (up !== 0 || down !== 0)) {
      await this.stats.addFeedback({
        day: utcDay(change.timestamp),
        agent: change.agent,
        shard: shardOf(change.userId),
        up,
        down,
      });
    }
    if (change.next && change.next !== change.previous) {
      this.feedback.inc({ agent: agentLabel(change.agent), rating: change.next });
    }
  }
}
