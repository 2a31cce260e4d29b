import { ApiProperty } from '@nestjs/swagger';

export class AgentStatsRow {
  @ApiProperty({ example: 'regulation_agent' }) agent!: string;
  @ApiProperty({ description: 'Assistant messages naming this agent' }) messages!: number;
  @ApiProperty({ description: 'Distinct conversations with such a message' })
  conversations!: number;
  @ApiProperty({ description: 'Its messages of the window rated up (current ratings)' })
  feedback_up!: number;
  @ApiProperty({ description: 'Its messages of the window rated down (current ratings)' })
  feedback_down!: number;
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Median of usage.latency_ms, within 4.2%; null without any latency reported',
  })
  latency_ms_p50!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: '95th percentile, within 4.2%' })
  latency_ms_p95!: number | null;
}

export class AgentStatsResponse {
  @ApiProperty({ format: 'date', description: 'First UTC day, included' }) from!: string;
  @ApiProperty({ format: 'date', description: 'Last UTC day, included' }) to!: string;
  @ApiProperty({ type: [AgentStatsRow], description: 'Most messages first' })
  agents!: AgentStatsRow[];
}
