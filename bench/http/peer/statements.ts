/**
 * The statements the service sends for the benchmarked routes (taken from its traffic): the peer makes PostgreSQL parse and plan the same text. The two the service
 * keeps as constants are copied too, since importing them would load Nest and TypeORM into the
 * peer; run.ts checks at start that the copies still equal the service's.
 */

/** $1 the conversation, $2 its owner: the service's `findActive`. */
export const FIND_ACTIVE_CONVERSATION = `SELECT * FROM conversations WHERE id = $1 AND user_id = $2 AND is_active = true`;

const PAGE_SELECT = `SELECT m.id, m.conversation_id, m.user_id, m.seq, m.role, m.content,
  m.agent_used, m.routing_info, m."references", m.timestamp, m.metadata, m.parent_id, m.depth,
  m.on_active_branch, m.usage, m.status,
  f.message_id, f.rating, f.comment, f.reasons, f.created_at, f.updated_at FROM messages m
       LEFT JOIN message_feedback f ON f.message_id = m.id AND f.user_id = m.user_id WHERE m.conversation_id = $1 AND m.user_id = $2 AND m.on_active_branch = true`;

/** $1, $2, $3 rows, $4 offset: an offset window of the active branch. */
export const OFFSET_PAGE = `${PAGE_SELECT} ORDER BY m.seq LIMIT $3 OFFSET $4`;

/** $1, $2, $3 the seq the window starts after, $4 rows. */
export const AFTER_SEQ_PAGE = `${PAGE_SELECT} AND m.seq > $3 ORDER BY m.seq LIMIT $4`;

/** The head's depth, when the page did not hold the head ($3). */
export const FIND_MESSAGE = `SELECT id, depth FROM messages WHERE id = $3 AND conversation_id = $1 AND user_id = $2`;

/** messages.repository.ts SIBLING_PLACES. */
export const SIBLING_PLACES = `
SELECT t.id, s.count, s.index
FROM unnest($3::varchar[], $4::varchar[], $5::int[]) AS t(id, parent_id, seq)
CROSS JOIN LATERAL (
  SELECT count(*)::int AS count, (count(*) FILTER (WHERE x.seq < t.seq))::int AS index
  FROM (
    SELECT x.seq FROM messages x
    WHERE x.conversation_id = $1 AND x.user_id = $2 AND x.parent_id = t.parent_id
    UNION ALL
    SELECT x.seq FROM messages x
    WHERE t.parent_id IS NULL AND x.conversation_id = $1 AND x.user_id = $2
      AND x.parent_id IS NULL AND x.depth = 1
  ) x
) s`;

/** $1, $2, $3 how many messages, $4 the last agent (null for a user's message). */
export const CLAIM_SEQUENCE = `UPDATE conversations
       SET message_count = COALESCE(message_count, 0) + $3,
           updated_at = now(),
           last_agent_used = COALESCE($4, last_agent_used)
       WHERE id = $1 AND user_id = $2 AND is_active = true
       RETURNING *`;

/** branches.repository.ts HEAD_STATE. */
export const HEAD_STATE = `
SELECT (SELECT depth FROM messages WHERE id = $3 AND conversation_id = $1 AND user_id = $2) AS head_depth,
       COALESCE((SELECT depth IS NULL FROM messages WHERE conversation_id = $1 AND user_id = $2
                 ORDER BY seq DESC LIMIT 1), false) AS unlinked_tail`;

/** The 17 columns of one message, in the service's order. */
export const INSERT_MESSAGE = `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, agent_used,
         routing_info, "references", timestamp, metadata, parent_id, depth, on_active_branch,
         usage, status, search_terms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;

/** $1, $2, $3 the new head. */
export const SET_HEAD = `UPDATE conversations SET head_message_id = $3 WHERE id = $1 AND user_id = $2 RETURNING *`;
