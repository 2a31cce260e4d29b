/**
 * The SQL condition "the conversation of the message aliased `message` is live", for features
 * that query messages in bulk (search): what counts as live is the conversations feature's to
 * decide. It names the owner too, so that the check stays on the user's shard (docs/scaling.md).
 */
export function liveConversationOf(message: string): string {
  return `EXISTS (SELECT 1 FROM conversations c WHERE c.id = ${message}.conversation_id AND c.user_id = ${message}.user_id AND c.is_active = true)`;
}
