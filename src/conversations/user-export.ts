import type { ConversationResponse } from './conversation.responses';
import type { MessageResponse } from './messages/message.responses';

/** The messages of one conversation with `fromSeq <= seq <= toSeq`. */
export interface MessageRange {
  conversationId: string;
  fromSeq: number;
  toSeq: number;
}

export type ExportedConversation = ConversationResponse & { deleted_at: string | null };

export const EXPORT_FORMAT_VERSION = 1;

/**
 * Splits the messages of consecutive conversations into fetches of at most `maxRows` rows, in
 * export order: small conversations share a fetch, a long one spans several. Seq numbers run
 * 1..message_count without a gap (messages are never deleted one by one), so the ranges bound
 * each fetch exactly; a message appended after the conversation was read is left for the next
 * export, never half included.
 */
export function planMessageChunks(
  conversations: ReadonlyArray<{ id: string; messageCount: number }>,
  maxRows: number,
): MessageRange[][] {
  const chunks: MessageRange[][] = [];
  let current: MessageRange[] = [];
  let room = maxRows;
  for (const { id, messageCount } of conversations) {
    let fromSeq = 1;
    while (fromSeq <= messageCount) {
      const toSeq = Math.min(messageCount, fromSeq + room - 1);
      current.push({ conversationId: id, fromSeq, toSeq });
      room -= toSeq - fromSeq + 1;
      fromSeq = toSeq + 1;
      if (room === 0) {
        chunks.push(current);
        current = [];
        room = maxRows;
      }
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The first line of an export. */
export function exportHeaderLine(userId: number, exportedAt: Date): string {
  return `${JSON.stringify({
    type: 'export',
    user_id: userId,
    exported_at: exportedAt.toISOString(),
    format_version: EXPORT_FORMAT_VERSION,
  })}\n`;
}

/**
 * The lines of a batch of conversations: each conversation, then its messages in seq order,
 * fetched chunk by chunk as the reader asks for more (one chunk in memory at a time).
 */
export async function* exportBatchLines(
  conversations: ReadonlyArray<ExportedConversation>,
  chunks: ReadonlyArray<MessageRange[]>,
  fetch: (ranges: MessageRange[]) => Promise<MessageResponse[]>,
): AsyncIterable<string> {
  const lastChunkOf = new Map<string, number>();
  chunks.forEach((ranges, index) => {
    for (const { conversationId } of ranges) lastChunkOf.set(conversationId, index);
  });
  let fetched: MessageResponse[] = [];
  let at = 0;
  let next = 0;
  let pending = '';
  for (const conversation of conversations) {
    pending += conversationLine(conversation);
    for (;;) {
      while (at < fetched.length && fetched[at].conversation_id === conversation.id) {
        pending += messageLine(fetched[at]);
        at += 1;
        // Pieces of ~32K characters: few socket writes, and each piece small enough to be
        // collected young (a whole batch joined would be a large object only a full GC frees).
        if (pending.length >= PIECE_CHARACTERS) {
          yield pending;
          pending = '';
        }
      }
      const last = lastChunkOf.get(conversation.id);
      if (at < fetched.length || last === undefined || next > last) break;
      fetched = await fetch(chunks[next]);
      at = 0;
      next += 1;
    }
  }
  if (pending.length > 0) yield pending;
}

const PIECE_CHARACTERS = 32 * 1024;

function conversationLine(conversation: ExportedConversation): string {
  return `${JSON.stringify({ type: 'conversation', ...conversation })}\n`;
}

function messageLine(message: MessageResponse): string {
  return `${JSON.stringify({ type: 'message', ...message })}\n`;
}
