/** What a migrated database must hold; checked by `db:setup` and `/health/database`. */
export const REQUIRED_TABLES = [
  'conversations',
  'messages',
  'idempotency_keys',
  'cache_invalidations',
  'cache_replicas',
  'message_streams',
  'message_deltas',
  'event_losses',
] as const;

export const REQUIRED_INDEXES = [
  'idx_conversations_updated_at',
  'idx_conversations_active',
  'idx_messages_agent_used',
  'idx_messages_conversation_seq',
  'idx_messages_content_search',
  'idx_messages_user_timestamp',
] as const;

// btree_gin lets the search index lead with user_id. pg_trgm, which the first migration created,
// serves no query: it is neither required nor removed.
export const REQUIRED_EXTENSIONS = ['btree_gin'] as const;
