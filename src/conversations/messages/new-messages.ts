import { newId } from '../../common/ids';
import { searchTerms } from './search-terms';
import type { CreateMessageDto } from './dto/create-message.dto';
import { Message } from './message.entity';

/**
 * Builds the rows of messages appended in one transaction: consecutive seq from `firstSeq`, the
 * owner copied from the conversation (never from the client), one timestamp for the batch (seq
 * orders them). A streaming message's row starts empty: its text lives in its stream until it
 * ends (`streamedTextOf`).
 */
export function buildMessages(
  inputs: CreateMessageDto[],
  target: { conversationId: string; userId: number; firstSeq: number; timestamp: Date },
): Message[] {
  return inputs.map((input, index) =>
    Object.assign(new Message(), {
      id: newId('msg'),
      conversationId: target.conversationId,
      userId: target.userId,
      seq: target.firstSeq + index,
      role: input.role,
      status: input.status ?? 'complete',
      content: input.status === 'streaming' ? '' : input.content,
      agentUsed: input.agent_used ?? null,
      routingInfo: input.routing_info ?? {},
      references: input.references ?? [],
      timestamp: target.timestamp,
      metadata: input.metadata ?? {},
      searchTerms: input.status === 'streaming' ? [] : searchTerms(input.content),
    }),
  );
}

/** The text a streaming message starts with (its first delta, possibly empty). */
export function streamedTextOf(input: CreateMessageDto): string {
  return input.content ?? '';
}

/** The agent of the newest assistant message that names one: it becomes `last_agent_used`. */
export function lastAgentOf(inputs: CreateMessageDto[]): string | null {
  for (let index = inputs.length - 1; index >= 0; index -= 1) {
    const { role, agent_used: agent } = inputs[index];
    if (role === 'assistant' && agent) return agent;
  }
  return null;
}
