/**
 * The JSON shapes the service answers with, so that `JSON.stringify` gives the same bytes: a
 * message through the service's own mapper (nothing of Nest or TypeORM at run time); a conversation
 * written out from its row, key for key in the service's order (conversation.mapper.ts), as the
 * service's mapper takes the entity its repository builds with TypeORM's class.
 */
import type { Message } from '../../../src/conversations/messages/message.entity';
import {
  ONLY_CHILD,
  toMessageResponse,
  type SiblingPlace,
} from '../../../src/conversations/messages/message.mapper';

export { ONLY_CHILD };

/** A message as the peer has it: the fields of the service's `Message` that its answer shows. */
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

/** The service's own mapper, which reads no more of a message than these fields. */
export function messageAnswer(message: MessageFields, siblings: SiblingPlace) {
  return toMessageResponse(message as unknown as Message, siblings);
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
