import type { Conversation } from './conversation.entity';
import type { ConversationResponse, ConversationSummaryResponse } from './conversation.responses';
import type { ExportedConversation } from './user-export';

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
    is_archived: conversation.isArchived,
    is_pinned: conversation.isPinned,
    tags: conversation.tags,
  };
}

/** A summary of the trash listing, which says since when. */
export function toTrashedSummary(conversation: Conversation): ConversationSummaryResponse {
  return { ...toConversationSummary(conversation), deleted_at: isoOrNull(conversation.deletedAt) };
}

export function toConversationResponse(conversation: Conversation): ConversationResponse {
  return {
    ...toConversationSummary(conversation),
    metadata: conversation.metadata ?? {},
    head_message_id: conversation.headMessageId ?? null,
  };
}

/** A conversation in a user's export: the full answer, and whether and since when it is trashed. */
export function toExportedConversation(conversation: Conversation): ExportedConversation {
  return { ...toConversationResponse(conversation), deleted_at: isoOrNull(conversation.deletedAt) };
}

function isoOrNull(time: Date | null): string | null {
  return time ? time.toISOString() : null;
}
