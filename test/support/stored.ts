import type { TestDatabase } from './test-database';

/** What the database really holds for a conversation: its counter and its message rows. */
export async function storedMessages(
  db: TestDatabase,
  conversationId: string,
): Promise<{ messageCount: number; rows: number }> {
  const { rows } = await db.client.query(
    `SELECT c.message_count, (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS rows
     FROM conversations c WHERE c.id = $1`,
    [conversationId],
  );
  return { messageCount: rows[0].message_count, rows: rows[0].rows };
}
