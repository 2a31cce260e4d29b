import { ApiProperty } from '@nestjs/swagger';
import { MESSAGE_ROLES, type MessageRole } from '../conversations/messages/message.entity';

export class Highlight {
  @ApiProperty({ description: 'Start offset in `snippet` (JavaScript string index), inclusive' })
  start!: number;
  @ApiProperty({ description: 'End offset in `snippet`, exclusive' }) end!: number;
}

export class SearchHit {
  @ApiProperty() id!: string;
  @ApiProperty() conversation_id!: string;
  @ApiProperty() conversation_title!: string;
  @ApiProperty() seq!: number;
  @ApiProperty({ enum: MESSAGE_ROLES }) role!: MessageRole;
  @ApiProperty({ type: String, nullable: true }) agent_used!: string | null;
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty({ description: 'Up to about 200 characters around the first match; … marks a cut' })
  snippet!: string;
  @ApiProperty({ type: [Highlight], description: 'Each covers exactly a matched query word' })
  highlights!: Highlight[];
  @ApiProperty({ description: 'Occurrences of the words, damped by the message length' })
  score!: number;
}

export class SearchConversation {
  @ApiProperty() id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ description: 'Hits of this page in this conversation' }) match_count!: number;
}

export class SearchResponse {
  @ApiProperty() search_query!: string;
  @ApiProperty({ description: 'Matching messages: exact up to 1,000, else at least 1,000' })
  total_count!: number;
  @ApiProperty({ description: 'False when total_count is a lower bound ("1,000+")' })
  total_count_exact!: boolean;
  @ApiProperty({
    description:
      'False when the search stopped at its cost bound (5,000 candidates checked for a word the index cannot decide, or the newest 10,000 messages walked): older matches may be missing, and the total is a lower bound',
  })
  exhaustive!: boolean;
  @ApiProperty({ type: [SearchHit] }) messages!: SearchHit[];
  @ApiProperty({
    type: [SearchConversation],
    description: 'The distinct conversations of the hits, each once',
  })
  conversations!: SearchConversation[];
}
