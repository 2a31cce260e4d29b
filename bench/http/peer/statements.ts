/**
 * The statements the service sends for the benchmarked routes: the peer makes PostgreSQL parse
 * and plan the same text. Those on messages come from the service's own import-free module; the
 * conversation statements, which the service writes inline in its repository (with Nest and
 * TypeORM around it), are copied from its traffic.
 */
import {
  HEAD_STATE,
  insertMessagesStatement,
  messageWindowStatement,
  SIBLING_PLACES,
} from '../../../src/conversations/messages/message-statements';

export { HEAD_STATE, SIBLING_PLACES };

/** $1 the conversation, $2 its owner: the service's `findActive`. */
export const FIND_ACTIVE_CONVERSATION = `SELECT * FROM conversations WHERE id = $1 AND user_id = $2 AND is_active = true`;

/** $1, $2, $3 rows, $4 offset: an offset window of the active branch. */
export const OFFSET_PAGE = messageWindowStatement('offset', 'active');

/** $1, $2, $3 the seq the window starts after, $4 rows. */
export const AFTER_SEQ_PAGE = messageWindowStatement('after', 'active');

/** The head's depth, when the page did not hold the head ($3). */
export const FIND_MESSAGE = `SELECT id, depth FROM messages WHERE id = $3 AND conversation_id = $1 AND user_id = $2`;

/** $1, $2, $3 how many messages, $4 the last agent (null for a user's message). */
export const CLAIM_SEQUENCE = `UPDATE conversations
       SET message_count = COALESCE(message_count, 0) + $3,
           updated_at = now(),
           last_agent_used = COALESCE($4, last_agent_used)
       WHERE id = $1 AND user_id = $2 AND is_active = true
       RETURNING *`;

export const INSERT_MESSAGE = insertMessagesStatement(1);

/** $1, $2, $3 the new head. */
export const SET_HEAD = `UPDATE conversations SET head_message_id = $3 WHERE id = $1 AND user_id = $2 RETURNING *`;
