import { decodeCursor, encodeCursor } from '../common/pagination';
import type { ConversationPosition, ListOrderKey } from './conversation-list';

/** The `next_cursor` of a conversation page: where the next page starts, opaque to callers. */
export function encodeConversationCursor(position: ConversationPosition): string {
  // `u` (updated_at) is the form cursors had before the trash existed: they stay valid.
  const field = position.key === 'deleted_at' ? 'd' : 'u';
  return encodeCursor({ [field]: position.micros, i: position.id });
}

/**
 * The position a cursor names; a cursor this service did not issue, or one of a list in another
 * order (a trash cursor on the live list), is a 400.
 */
export function decodeConversationCursor(cursor: string, key: ListOrderKey): ConversationPosition {
  return decodeCursor(cursor, (value) => parsePosition(value, key));
}

function parsePosition(
  value: Record<string, unknown>,
  key: ListOrderKey,
): ConversationPosition | null {
  const { i } = value;
  const micros = value[key === 'deleted_at' ? 'd' : 'u'];
  if (typeof micros !== 'string' || !/^-?\d{1,20}$/.test(micros)) return null;
  if (typeof i !== 'string' || i.length > 50) return null;
  return { key, micros, id: i };
}
