import { Injectable } from '@nestjs/common';
import { Transactions } from '../database/transactions';
import type { RollupDelta } from './answer-rollup';
import type { StatsWindow } from './stats-window';

/**
 * Adds one write's answers (in one conversation) in one statement: the day rows in a fixed
 * order (so that concurrent writes cannot deadlock), histograms merged bucket by bucket, and the
 * conversation marked as answered by each agent that day. $1: the `RollupDelta` rows as JSON,
 * $2: the conversation. Exported for the agents benchmark, which times it.
 */
export const ADD_ANSWERS_SQL = `WITH delta AS (
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(
       day date, agent varchar(50), shard smallint, messages integer,
       prompt_tokens bigint, completion_tokens bigint, latency jsonb)
   ), counted AS (
     INSERT INTO agent_daily_stats AS s
       (day, agent, shard, messages, prompt_tokens, completion_tokens, latency)
     SELECT day, agent, shard, messages, prompt_tokens, completion_tokens, latency
     FROM delta ORDER BY day, shard, agent
     ON CONFLICT (day, agent, shard) DO UPDATE SET
       messages = s.messages + EXCLUDED.messages,
       prompt_tokens = s.prompt_tokens + EXCLUDED.prompt_tokens,
       completion_tokens = s.completion_tokens + EXCLUDED.completion_tokens,
       latency = s.latency || (
         SELECT COALESCE(
           jsonb_object_agg(b.key, COALESCE((s.latency ->> b.key)::int, 0) + b.value::int),
           '{}'::jsonb)
         FROM jsonb_each_text(EXCLUDED.latency) AS b)
   )
   INSERT INTO agent_daily_conversations (day, agent, conversation_id)
   SELECT DISTINCT day, agent, $2::varchar FROM delta
   ON CONFLICT DO NOTHING`;

/** One rollup row's change in feedback: +1, -1 or 0 each. */
export interface FeedbackDelta {
  day: string;
  agent: string;
  shard: number;
  up: number;
  down: number;
}

export interface AgentTotals {
  agent: string;
  messages: number;
  prompt_tokens: number;
  completion_tokens: number;
  feedback_up: number;
  feedback_down: number;
}

/**
 * Every query on the agents' rollup (`agent_daily_stats`, `agent_daily_conversations`); writes
 * run in the caller's transaction, so the figures move with the rows they count or not at all.
 */
@Injectable()
export class AgentStatsRepository {
  constructor(private readonly transactions: Transactions) {}

  async addAnswers(conversationId: string, deltas: RollupDelta[]): Promise<void> {
    await this.transactions.tx.query(ADD_ANSWERS_SQL, [JSON.stringify(deltas), conversationId]);
  }

  async addFeedback(delta: FeedbackDelta): Promise<void> {
    await this.transactions.tx.query(
      `INSERT INTO agent_daily_stats AS s (day, agent, shard, feedback_up, feedback_down)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (day, agent, shard) DO UPDATE SET
         feedback_up = s.feedback_up + EXCLUDED.feedback_up,
         feedback_down = s.feedback_down + EXCLUDED.feedback_down`,
      [delta.day, delta.agent, delta.shard, delta.up, delta.down],
    );
  }

  /** Each agent's sums over the window's days, its shards added up. */
  totals(window: StatsWindow): Promise<AgentTotals[]> {
    return this.transactions.tx.query(
      `SELECT agent, sum(messages)::float8 AS messages,
              sum(prompt_tokens)::float8 AS prompt_tokens,
              sum(completion_tokens)::float8 AS completion_tokens,
              sum(feedback_up)::float8 AS feedback_up, sum(feedback_down)::float8 AS feedback_down
       FROM agent_daily_stats WHERE day BETWEEN $1 AND $2 GROUP BY agent`,
      [window.from, window.to],
    );
  }

  /** Distinct conversations each agent answered in during the window. */
  conversations(window: StatsWindow): Promise<Array<{ agent: string; conversations: number }>> {
    return this.transactions.tx.query(
      // DISTINCT in a subquery hashes; count(DISTINCT ...) would sort every row of the window.
      `SELECT agent, count(*)::int AS conversations
       FROM (SELECT DISTINCT agent, conversation_id FROM agent_daily_conversations
             WHERE day BETWEEN $1 AND $2) answered
       GROUP BY agent`,
      [window.from, window.to],
    );
  }

  /** Each agent's latency histogram over the window: bucket to count. */
  latency(window: StatsWindow): Promise<Array<{ agent: string; bucket: string; count: number }>> {
    return this.transactions.tx.query(
      `SELECT s.agent, b.key AS bucket, sum(b.value::int)::float8 AS count
       FROM agent_daily_stats s, jsonb_each_text(s.latency) AS b
       WHERE s.day BETWEEN $1 AND $2 GROUP BY s.agent, b.key`,
      [window.from, window.to],
    );
  }
}
