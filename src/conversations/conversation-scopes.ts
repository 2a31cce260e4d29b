/**
 * The SQL condition "the conversation of `conversationIdColumn` is live", for features that query
 * messages in bulk (search): what counts as live is the conversations feature's to decide.
 */
export function liveConversationOf(conversationIdColumn: string): string {
  return `EXISTS (SELECT 1 FROM conversations c WHERE c.id = ${conversationIdColumn} AND c.is_active = true)`;
}
