import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The agents' figures per UTC day, maintained in the write transactions of appends and feedback.
 * Each (day, agent) is spread over shards chosen by the user id, so that concurrent appends of
 * different users do not queue on one row lock; reads sum the shards. `latency` is a log-bucket
 * histogram of `usage.latency_ms` (`latency-histogram.ts`): bucket index to count.
 */
@Entity({ name: 'agent_daily_stats' })
export class AgentDailyStats {
  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'pk_agent_daily_stats' })
  day!: string;

  @PrimaryColumn({ type: 'varchar', length: 50, primaryKeyConstraintName: 'pk_agent_daily_stats' })
  agent!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_agent_daily_stats' })
  shard!: number;

  @Column({ type: 'integer', default: 0 })
  messages!: number;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0 })
  promptTokens!: string;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0 })
  completionTokens!: string;

  @Column({ name: 'feedback_up', type: 'integer', default: 0 })
  feedbackUp!: number;

  @Column({ name: 'feedback_down', type: 'integer', default: 0 })
  feedbackDown!: number;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  latency!: Record<string, number>;
}
