/**
 * The statements the service sends for the benchmarked routes, as its ORM writes them (taken
 * from its traffic): the peer makes PostgreSQL parse and plan the same text. The two the service
 * keeps as constants are copied too, since importing them would load Nest and TypeORM into the
 * peer; run.ts checks at start that the copies still equal the service's.
 */

/** $1 the conversation, $2 its owner, $3 true: `findOneBy` on the active conversation. */
export const FIND_ACTIVE_CONVERSATION =
  'SELECT "Conversation"."id" AS "Conversation_id", "Conversation"."user_id" AS "Conversation_user_id", "Conversation"."title" AS "Conversation_title", "Conversation"."created_at" AS "Conversation_created_at", "Conversation"."updated_at" AS "Conversation_updated_at", "Conversation"."message_count" AS "Conversation_message_count", "Conversation"."last_agent_used" AS "Conversation_last_agent_used", "Conversation"."is_active" AS "Conversation_is_active", "Conversation"."metadata" AS "Conversation_metadata", "Conversation"."head_message_id" AS "Conversation_head_message_id", "Conversation"."is_archived" AS "Conversation_is_archived", "Conversation"."is_pinned" AS "Conversation_is_pinned", "Conversation"."tags" AS "Conversation_tags", "Conversation"."deleted_at" AS "Conversation_deleted_at" FROM "conversations" "Conversation" WHERE (("Conversation"."id" = $1) AND ("Conversation"."user_id" = $2) AND ("Conversation"."is_active" = $3)) LIMIT 1';

const PAGE_SELECT =
  'SELECT "m"."id" AS "m_id", "m"."conversation_id" AS "m_conversation_id", "m"."user_id" AS "m_user_id", "m"."seq" AS "m_seq", "m"."role" AS "m_role", "m"."content" AS "m_content", "m"."agent_used" AS "m_agent_used", "m"."routing_info" AS "m_routing_info", "m"."references" AS "m_references", "m"."timestamp" AS "m_timestamp", "m"."metadata" AS "m_metadata", "m"."parent_id" AS "m_parent_id", "m"."depth" AS "m_depth", "m"."on_active_branch" AS "m_on_active_branch", "m"."usage" AS "m_usage", "m"."status" AS "m_status", "f"."message_id" AS "f_message_id", "f"."user_id" AS "f_user_id", "f"."conversation_id" AS "f_conversation_id", "f"."rating" AS "f_rating", "f"."comment" AS "f_comment", "f"."reasons" AS "f_reasons", "f"."created_at" AS "f_created_at", "f"."updated_at" AS "f_updated_at" FROM "messages" "m" LEFT JOIN "message_feedback" "f" ON "f"."message_id" = "m"."id" AND "f"."user_id" = "m"."user_id" WHERE "m"."conversation_id" = $1 AND "m"."user_id" = $2 AND "m"."on_active_branch" = true';

/** $1, $2: an offset window of the active branch; the ORM writes LIMIT and OFFSET as literals. */
export function offsetPageStatement(rows: number, offset: number): string {
  return `${PAGE_SELECT} ORDER BY "m"."seq" ASC LIMIT ${rows} OFFSET ${offset}`;
}

/** $1, $2, $3 the seq the window starts after. */
export function afterSeqPageStatement(rows: number): string {
  return `${PAGE_SELECT} AND "m"."seq" > $3 ORDER BY "m"."seq" ASC LIMIT ${rows}`;
}

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

export const INSERT_MESSAGE =
  'INSERT INTO "messages"("id", "conversation_id", "user_id", "seq", "role", "content", "agent_used", "routing_info", "references", "timestamp", "metadata", "parent_id", "depth", "on_active_branch", "usage", "status", "search_terms") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING "routing_info", "references", "timestamp", "metadata", "on_active_branch", "status", "search_terms"';

/** $1, $2, $3 the new head. */
export const SET_HEAD = `UPDATE conversations SET head_message_id = $3 WHERE id = $1 AND user_id = $2 RETURNING *`;
