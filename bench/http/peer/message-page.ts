import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { cachedAnswer } from '../../../src/cache/cached-answer';
import { encodeCursor, messageAnswer, ONLY_CHILD, type MessageFields } from './answers';
import { admit, sendRead, type PeerContext } from './peer-context';
import { PeerError } from './peer-error';
import {
  AFTER_SEQ_PAGE,
  FIND_ACTIVE_CONVERSATION,
  FIND_MESSAGE,
  OFFSET_PAGE,
  SIBLING_PLACES,
} from './statements';

const MAX_PAGE_SIZE = 200;
const DEFAULT_PAGE_SIZE = 50;

/**
 * `GET /api/v1/conversations/:id/messages`, the two windows the benchmark reads: the first page
 * (`limit` only), served from the peer's Redis key and stored there on a miss, and `after_seq`,
 * always read from PostgreSQL, each with the service's statements and answer.
 */
export function registerMessagePage(app: FastifyInstance, context: PeerContext): void {
  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/api/v1/conversations/:id/messages',
    async (request, reply) => {
      const user = await admit(context, request, reply);
      const { limit, afterSeq } = windowOf(request.query);
      const conversationId = request.params.id;
      if (afterSeq !== undefined) {
        const page = await readPage(context.pool, user.id, conversationId, limit, afterSeq);
        return sendRead(reply, cachedAnswer(JSON.stringify(page)), 'MISS');
      }
      // Like the service, the tag is stored with the text: a hit hashes nothing.
      const key = `${context.keyPrefix}:u:${user.id}:messages:${conversationId}:first:${limit}`;
      const cached = await context.redis.get(key);
      if (cached !== null) {
        const end = cached.indexOf('\n');
        return sendRead(reply, { tag: cached.slice(0, end), text: cached.slice(end + 1) }, 'HIT');
      }
      const page = await readPage(context.pool, user.id, conversationId, limit, undefined);
      const answer = cachedAnswer(JSON.stringify(page));
      await context.redis.set(key, `${answer.tag}\n${answer.text}`, { PX: context.cacheTtlMs });
      return sendRead(reply, answer, 'MISS');
    },
  );
}

function windowOf(query: Record<string, string>): { limit: number; afterSeq?: number } {
  const { limit, after_seq: afterSeq, ...others } = query;
  if (Object.keys(others).length > 0) {
    throw new PeerError(400, 'the peer reads limit and after_seq only');
  }
  const size = limit === undefined ? DEFAULT_PAGE_SIZE : Number(limit);
  if (!/^[1-9]\d{0,2}$/.test(limit ?? '50') || size > MAX_PAGE_SIZE) {
    throw new PeerError(400, 'limit must be an integer from 1 to 200');
  }
  if (afterSeq === undefined) return { limit: size };
  if (!/^\d{1,10}$/.test(afterSeq) || Number(afterSeq) > 2_147_483_647) {
    throw new PeerError(400, 'after_seq must be a non-negative integer');
  }
  return { limit: size, afterSeq: Number(afterSeq) };
}

/** messages.service.ts `list` for the active branch: one row beyond the page says whether more follow. */
async function readPage(
  pool: Pool,
  userId: number,
  conversationId: string,
  limit: number,
  afterSeq: number | undefined,
) {
  const [conversation] = (await pool.query(FIND_ACTIVE_CONVERSATION, [conversationId, userId]))
    .rows;
  if (!conversation) throw new PeerError(404, 'conversation not found');
  const rows =
    afterSeq === undefined
      ? (await pool.query(OFFSET_PAGE, [conversationId, userId, limit + 1, 0])).rows
      : (await pool.query(AFTER_SEQ_PAGE, [conversationId, userId, afterSeq, limit + 1])).rows;
  if (rows.some((row) => row.status === 'streaming')) {
    // Their text lives in Redis streams: the benchmark's conversations hold none.
    throw new PeerError(501, 'the peer does not read streaming messages');
  }
  const hasNext = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  // The newest page holds the head, whose depth is the branch's length: no query for it.
  const headId: string | null = conversation.head_message_id;
  const head = rows.find((row) => row.id === headId);
  const total: number =
    head?.depth ??
    (headId === null
      ? conversation.message_count
      : ((await pool.query(FIND_MESSAGE, [conversationId, userId, headId])).rows[0]?.depth ??
        conversation.message_count));
  const places = await siblingPlaces(pool, conversationId, userId, page);
  return {
    conversation_id: conversationId,
    messages: page.map((row, index) => messageAnswer(fieldsOf(row), places[index])),
    total_count: total,
    page: afterSeq === undefined ? 1 : null,
    page_size: limit,
    has_next: hasNext,
    next_cursor: hasNext && last ? encodeCursor({ d: 'after', s: last.seq }) : null,
  };
}

/** messages.repository.ts `siblingPlaces`: one probe per linked message, in one statement. */
async function siblingPlaces(
  pool: Pool,
  conversationId: string,
  userId: number,
  rows: Record<string, any>[],
) {
  const linked = rows.filter((row) => row.depth !== null);
  if (linked.length === 0) return rows.map(() => ONLY_CHILD);
  const { rows: places } = await pool.query(SIBLING_PLACES, [
    conversationId,
    userId,
    linked.map((row) => row.id),
    linked.map((row) => row.parent_id),
    linked.map((row) => row.seq),
  ]);
  const byId = new Map(
    places.map((place) => [place.id, { count: place.count, index: place.index }]),
  );
  return rows.map((row) => byId.get(row.id) ?? ONLY_CHILD);
}

function fieldsOf(row: Record<string, any>): MessageFields {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    role: row.role,
    status: row.status,
    content: row.content,
    agentUsed: row.agent_used,
    routingInfo: row.routing_info,
    references: row.references,
    timestamp: row.timestamp,
    metadata: row.metadata,
    parentId: row.parent_id,
    usage: row.usage,
    feedback:
      row.message_id === null
        ? null
        : {
            rating: row.rating,
            comment: row.comment,
            reasons: row.reasons,
            updatedAt: row.updated_at,
          },
  };
}
