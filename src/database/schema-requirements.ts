/** What a migrated database must hold; checked by `db:setup` and `/health/database`. */
export const REQUIRED_TABLES = [
  'conversations',
  'messages',
  'idempotency_keys',
  'cache_invalidations',
  'cache_replicas',
  'message_feedback',
  'agent_daily_stats',
  'agent_daily_conversations',
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
  'idx_messages_active_branch',
  'idx_messages_siblings',
  'idx_message_feedback_user',
  'idx_message_feedback_conversation',
  'idx_agent_daily_conversations_conversation',
  'idx_conversations_archived',
  'idx_conversations_pinned',
  'idx_conversations_trash',
  'idx_conversations_deleted_at',
  'idx_conversations_tags',
] as const;

// btree_gin lets the search index lead with user_id. pg_trgm, which the first migration created,
// serves no query: it is neither required nor removed.
export const REQUIRED_EXTENSIONS = ['btree_gin'] as const;
