/**
 * What names a conversation to the database: its id and its owner. Every statement on a user's
 * rows says the owner too (`user_id = $n`), so that each request reads one user's rows only, and
 * a table distributed on `user_id` (docs/scaling.md, "Citus") is read on one shard.
 */
export interface ConversationKey {
  readonly id: string;
  readonly userId: number;
}
