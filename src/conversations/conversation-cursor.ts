import { decodeCursor, encodeCursor } from '../common/pagination';
import type { ConversationPosition } from './conversations.repository';

/** The `next_cursor` of a conversation page: where the next page starts, opaque to callers. */
export function encodeConversationCursor(position: ConversationPosition): string {
  return encodeCursor({ u: position.updatedAtMicros, i: position.id });
}

/** The position a cursor names; a cursor this service did not issue is a 400. */
export function decodeConversationCursor(cursor: string): ConversationPosition {
  return decodeCursor(cursor, parsePosition);
}

function parsePosition(value: Record<string, unknown>): ConversationPosition | null {
  const { u, i } = value;
  if (typeof u !== 'string' || !/^-?\d{1,20}$/.test(u)) return null;
  if (typeof i !== 'string' || i.length > 50) return null;
  return { updatedAtMicros: u, id: i };
}
