import type { Conversation } from './conversation.entity';
import type { ConversationResponse, ConversationSummaryResponse } from './conversation.responses';

/** What the list shows: no metadata (nor any message body). */
export function toConversationSummary(conversation: Conversation): ConversationSummaryResponse {
  return {
    id: conversation.id,
    user_id: conversation.userId,
    title: conversation.title,
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
    message_count: conversation.messageCount ?? 0,
    last_agent_used: conversation.lastAgentUsed,
    is_active: conversation.isActive,
  };
}

export function toConversationResponse(conversation: Conversation): ConversationResponse {
  return {
    ...toConversationSummary(conversation),
    metadata: conversation.metadata ?? {},
    head_message_id: conversation.headMessageId ?? null,
  };
}
