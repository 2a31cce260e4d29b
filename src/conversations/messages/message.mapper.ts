import { toFeedbackResponse } from './feedback/feedback.mapper';
import type { Message } from './message.entity';
import type { MessageResponse } from './message.responses';

/** Where a message sits among the messages with its parent, for a client's "2 / 3". */
export interface SiblingPlace {
  count: number;
  /** 0-based, in seq order. */
  index: number;
}

/** A message with no sibling: the place of one that follows the head, or of a row not linked yet. */
export const ONLY_CHILD: SiblingPlace = { count: 1, index: 0 };

export function toMessageResponse(message: Message, siblings: SiblingPlace): MessageResponse {
  return {
    id: message.id,
    conversation_id: message.conversationId,
    seq: message.seq,
    role: message.role,
    status: message.status,
    content: message.content,
    agent_used: message.agentUsed,
    routing_info: message.routingInfo ?? {},
    references: message.references ?? [],
    timestamp: message.timestamp.toISOString(),
    metadata: message.metadata ?? {},
    parent_id: message.parentId ?? null,
    sibling_count: siblings.count,
    sibling_index: siblings.index,
    usage: message.usage ?? null,
    feedback: message.feedback ? toFeedbackResponse(message.feedback) : null,
  };
}
