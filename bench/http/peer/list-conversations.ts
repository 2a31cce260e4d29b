import type { FastifyInstance } from 'fastify';
import {
  countStatement,
  filtersOf,
  pageStatement,
} from '../../../src/conversations/conversation-list';
import { cachedAnswer } from '../../../src/cache/cached-answer';
import { conversationSummary, encodeCursor } from './answers';
import { admit, sendRead, type PeerContext } from './peer-context';
import { PeerError } from './peer-error';

const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;
/** Only the trash's statements read it; the peer lists live conversations. */
const TRASH_DAYS = 30;

/**
 * `GET /api/v1/conversations` with `limit`, `offset` and `archived`: the service's two
 * statements (built by its own conversation-list.ts) at once, and its answer. Never cached: the
 * benchmark reads the list as the service reads it when uncached.
 */
export function registerConversationList(app: FastifyInstance, context: PeerContext): void {
  app.get<{ Querystring: Record<string, string> }>(
    '/api/v1/conversations',
    async (request, reply) => {
      const user = await admit(context, request, reply);
      const { limit, offset, archived } = listQueryOf(request.query);
      const filters = filtersOf({ archived });
      const page = pageStatement(user.id, filters, TRASH_DAYS, { limit: limit + 1, offset });
      const count = countStatement(user.id, filters, TRASH_DAYS);
      const [{ rows }, counted] = await Promise.all([
        context.pool.query(page.sql, page.params),
        context.pool.query(count.sql, count.params),
      ]);
      const hasNext = rows.length > limit;
      const shown = rows.slice(0, limit);
      const last = shown.at(-1);
      const answer = {
        conversations: shown.map(conversationSummary),
        total_count: Number(counted.rows[0].count),
        page: Math.floor(offset / limit) + 1,
        page_size: limit,
        has_next: hasNext,
        next_cursor:
          hasNext && last
            ? encodeCursor({ u: String(last.position_micros), i: String(last.id) })
            : null,
      };
      return sendRead(reply, cachedAnswer(JSON.stringify(answer)), 'MISS');
    },
  );
}

function listQueryOf(query: Record<string, string>): {
  limit: number;
  offset: number;
  archived?: boolean;
} {
  const { limit = String(DEFAULT_PAGE_SIZE), offset = '0', archived, ...others } = query;
  if (Object.keys(others).length > 0) {
    throw new PeerError(400, 'the peer lists with limit, offset and archived only');
  }
  if (!/^[1-9]\d{0,2}$/.test(limit) || Number(limit) > MAX_PAGE_SIZE) {
    throw new PeerError(400, 'limit must be an integer from 1 to 100');
  }
  if (!/^\d{1,9}$/.test(offset)) throw new PeerError(400, 'offset must be a non-negative integer');
  if (archived !== undefined && archived !== 'true' && archived !== 'false') {
    throw new PeerError(400, 'archived must be true or false');
  }
  return {
    limit: Number(limit),
    offset: Number(offset),
    archived: archived === undefined ? undefined : archived === 'true',
  };
}
