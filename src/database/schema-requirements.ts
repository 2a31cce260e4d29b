/** What a migrated database must hold; checked by `db:setup` and `/health/database`. */
export const REQUIRED_TABLES = ['conversations', 'messages', 'idempotency_keys'] as const;

export const REQUIRED_INDEXES = [
  'idx_conversations_updated_at',
  'idx_conversations_active',
  'idx_messages_agent_used',
  'idx_messages_conversation_seq',
  'idx_messages_content_search',
  'idx_messages_user_timestamp',
] as const;

export const REQUIRED_EXTENSIONS = ['pg_trgm', 'btree_gin'] as const;
