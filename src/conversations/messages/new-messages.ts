import type { RecordedAnswer } from '../../agent-stats/answer-rollup';
import { newId } from '../../common/ids';
import { searchTerms } from './search-terms';
import type { CreateMessageDto } from './dto/create-message.dto';
import { Message, type MessageUsage } from './message.entity';

/** The message a batch follows (its first message's parent), or none: the batch starts a root. */
export interface BranchPoint {
  id: string | null;
  /** 0 for none. */
  depth: number;
}

export const NEW_ROOT: BranchPoint = { id: null, depth: 0 };

/**
 * Builds the rows of messages appended in one transaction: consecutive seq from `firstSeq`, the
 * owner copied from the conversation (never from the client), one timestamp for the batch (seq
 * orders them), and one line of the tree: the first follows `follows`, each next one the
 * previous, all on the active branch. A streaming message's row starts empty: its text lives in
 * its stream until it ends (`streamedTextOf`).
 */
export function buildMessages(
  inputs: CreateMessageDto[],
  target: {
    conversationId: string;
    userId: number;
    firstSeq: number;
    timestamp: Date;
    follows?: BranchPoint;
  },
): Message[] {
  const follows = target.follows ?? NEW_ROOT;
  const ids = inputs.map(() => newId('msg'));
  return inputs.map((input, index) =>
    Object.assign(new Message(), {
      id: ids[index],
      parentId: index === 0 ? follows.id : ids[index - 1],
      depth: follows.depth + index + 1,
      onActiveBranch: true,
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
      usage: input.usage ? usageAsWritten(input.usage) : null,
      searchTerms: input.status === 'streaming' ? [] : searchTerms(input.content),
    }),
  );
}

/** The fields the caller sent, and only those (a validated DTO holds the others as undefined). */
export function usageAsWritten(usage: MessageUsage): MessageUsage {
  return Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== undefined));
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

/**
 * The assistant messages among `messages`, as the agents' figures count them: a streaming one
 * counts when it ends, with the usage it ends with.
 */
export function answersOf(messages: readonly Message[]): RecordedAnswer[] {
  return messages
    .filter((message) => message.role === 'assistant' && message.status !== 'streaming')
    .map((message) => ({
      agent: message.agentUsed,
      userId: message.userId,
      timestamp: message.timestamp,
      promptTokens: message.usage?.prompt_tokens,
      completionTokens: message.usage?.completion_tokens,
      latencyMs: message.usage?.latency_ms,
    }));
}
