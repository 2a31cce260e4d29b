/**
 * The statements on messages that the repositories send and the benchmarks send beside them, as
 * text only: this file imports nothing, so that a benchmark's hand-written peer sends the very
 * same statements without loading the application.
 */

/**
 * A message's columns (all but its search terms) and its feedback's, for a statement that joins
 * `messages m` with `message_feedback f`; `messageFromRow` reads them.
 */
export const MESSAGE_WITH_FEEDBACK = `m.id, m.conversation_id, m.user_id, m.seq, m.role, m.content,
  m.agent_used, m.routing_info, m."references", m.timestamp, m.metadata, m.parent_id, m.depth,
  m.on_active_branch, m.usage, m.status,
  f.message_id, f.rating, f.comment, f.reasons, f.created_at, f.updated_at`;

/**
 * A window of a conversation's messages with their feedback, oldest first but for `before`
 * (newest first, reversed by the caller): $1 the conversation, $2 its owner, then for `offset`
 * $3 the limit and $4 the offset, for `after`/`before` $3 the seq and $4 the limit. A literal for
 * the branch, not a parameter: the planner matches it to the partial index's predicate.
 */
export function messageWindowStatement(
  kind: 'offset' | 'after' | 'before',
  branch: 'active' | 'all',
): string {
  const where = `m.conversation_id = $1 AND m.user_id = $2${branch === 'active' ? ' AND m.on_active_branch = true' : ''}`;
  const from = `SELECT ${MESSAGE_WITH_FEEDBACK} FROM messages m
       LEFT JOIN message_feedback f ON f.message_id = m.id AND f.user_id = m.user_id`;
  switch (kind) {
    case 'offset':
      return `${from} WHERE ${where} ORDER BY m.seq LIMIT $3 OFFSET $4`;
    case 'after':
      return `${from} WHERE ${where} AND m.seq > $3 ORDER BY m.seq LIMIT $4`;
    case 'before':
      return `${from} WHERE ${where} AND m.seq < $3 ORDER BY m.seq DESC LIMIT $4`;
  }
}

/** The columns a message is inserted with (all of them), in the order of its parameters. */
export const MESSAGE_INSERT_COLUMNS = [
  'id',
  'conversation_id',
  'user_id',
  'seq',
  'role',
  'content',
  'agent_used',
  'routing_info',
  '"references"',
  'timestamp',
  'metadata',
  'parent_id',
  'depth',
  'on_active_branch',
  'usage',
  'status',
  'search_terms',
] as const;

/** An insert of `count` messages, a parameter per column of `MESSAGE_INSERT_COLUMNS` each. */
export function insertMessagesStatement(count: number): string {
  const width = MESSAGE_INSERT_COLUMNS.length;
  const values = Array.from(
    { length: count },
    (_, row) =>
      `(${MESSAGE_INSERT_COLUMNS.map((_, column) => `$${row * width + column + 1}`).join(', ')})`,
  );
  return `INSERT INTO messages (${MESSAGE_INSERT_COLUMNS.join(', ')}) VALUES ${values.join(', ')}`;
}

/**
 * Each message's place among its siblings ($1 the conversation, $2 its owner; $3, $4, $5 the
 * messages' ids, parents and seqs): one probe of the siblings index per message. A root's
 * siblings are the other roots, rows not linked yet (null depth, null parent) excluded.
 */
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

/**
 * The head's depth ($3 its id) and whether the newest row of conversation $1 (of user $2) is not
 * linked yet.
 */
export const HEAD_STATE = `
SELECT (SELECT depth FROM messages WHERE id = $3 AND conversation_id = $1 AND user_id = $2) AS head_depth,
       COALESCE((SELECT depth IS NULL FROM messages WHERE conversation_id = $1 AND user_id = $2
                 ORDER BY seq DESC LIMIT 1), false) AS unlinked_tail`;
