import {
  assertAtMostOne,
  decodeCursor,
  encodeCursor,
  toPageRequest,
} from '../../common/pagination';
import type { ListMessagesQueryDto } from './dto/list-messages-query.dto';

/** Which messages a page holds, always returned oldest first. */
export type MessageWindow =
  | { kind: 'offset'; limit: number; offset: number }
  | { kind: 'after'; limit: number; afterSeq: number }
  | { kind: 'before'; limit: number; beforeSeq: number };

type Direction = 'after' | 'before';

/** The window a query asks for: one of page, offset, cursor, `before_seq` or `after_seq`. */
export function toWindow(query: ListMessagesQueryDto): MessageWindow {
  assertAtMostOne(query, ['page', 'offset', 'cursor', 'before_seq', 'after_seq']);
  const limit = query.limit;
  if (query.after_seq !== undefined) return { kind: 'after', limit, afterSeq: query.after_seq };
  if (query.before_seq !== undefined) return { kind: 'before', limit, beforeSeq: query.before_seq };
  const request = toPageRequest(query, limit);
  if (request.kind === 'offset') return request;
  const { d, s } = decodeCursor(request.cursor, parseMessageCursor);
  return d === 'after'
    ? { kind: 'after', limit, afterSeq: s }
    : { kind: 'before', limit, beforeSeq: s };
}

/**
 * A page read with one extra row (which tells whether another page follows without a count):
 * the page itself, and the cursor that continues in the direction it was read.
 */
export function cutPage<T extends { seq: number }>(
  window: MessageWindow,
  rows: T[],
): { page: T[]; hasNext: boolean; nextCursor: string | null } {
  const hasNext = rows.length > window.limit;
  // A `before` window is read newest first and returned oldest first: its extra row is the oldest.
  const page = window.kind === 'before' ? rows.slice(hasNext ? 1 : 0) : rows.slice(0, window.limit);
  if (!hasNext || page.length === 0) return { page, hasNext, nextCursor: null };
  const next: { d: Direction; s: number } =
    window.kind === 'before'
      ? { d: 'before', s: page[0].seq }
      : { d: 'after', s: page[page.length - 1].seq };
  return { page, hasNext, nextCursor: encodeCursor(next) };
}

function parseMessageCursor(value: Record<string, unknown>): { d: Direction; s: number } | null {
  const { d, s } = value;
  if ((d !== 'after' && d !== 'before') || typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
    return null;
  }
  return { d, s };
}
