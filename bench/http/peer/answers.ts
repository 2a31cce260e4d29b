/**
 * The JSON shapes the service answers with (message.mapper.ts, conversation.mapper.ts), key
 * for key in the same order, so that `JSON.stringify` gives the same bytes. Written out rather
 * than imported: the service's mappers take its entity classes, which load TypeORM.
 */

/** Where a message sits among the messages with its parent. */
export interface SiblingPlace {
  count: number;
  index: number;
}

export const ONLY_CHILD: SiblingPlace = { count: 1, index: 0 };

export interface MessageFields {
  id: string;
  conversationId: string;
  seq: number;
  role: string;
  status: string;
  content: string;
  agentUsed: string | null;
  routingInfo: unknown;
  references: unknown;
  timestamp: Date;
  metadata: unknown;
  parentId: string | null;
  usage: unknown;
  feedback: { rating: string; comment: string | null; reasons: unknown; updatedAt: Date } | null;
}

export function messageAnswer(message: MessageFields, siblings: SiblingPlace) {
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
    feedback: message.feedback
      ? {
          rating: message.feedback.rating,
          comment: message.feedback.comment,
          reasons: message.feedback.reasons,
          updated_at: message.feedback.updatedAt.toISOString(),
        }
      : null,
  };
}

/** A `conversations` row as PostgreSQL returns it (`RETURNING *`, or the list's columns). */
export type ConversationRow = Record<string, any>;

/** What the list shows of a conversation. */
export function conversationSummary(row: ConversationRow) {
  return {
    id: row.id,
    user_id: row.user_id,
    title: row.title,
    created_at: (row.created_at as Date).toISOString(),
    updated_at: (row.updated_at as Date).toISOString(),
    message_count: row.message_count ?? 0,
    last_agent_used: row.last_agent_used,
    is_active: row.is_active,
    is_archived: row.is_archived ?? false,
    is_pinned: row.is_pinned ?? false,
    tags: row.tags ?? [],
  };
}

/** The whole conversation, as an append answers it. */
export function conversationAnswer(row: ConversationRow) {
  return {
    ...conversationSummary(row),
    metadata: row.metadata ?? {},
    head_message_id: row.head_message_id ?? null,
  };
}

/** The service's opaque cursors: a position as base64url JSON (common/pagination.ts). */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}
