/** Every series this service exports, named once. No label ever carries a user or conversation id. */
export const METRICS = {
  httpRequestDuration: 'http_request_duration_seconds',
  dbQueryDuration: 'db_query_duration_seconds',
  dbConnections: 'db_connections_total',
  dbPool: 'db_pool_connections',
  dbReplicaAvailable: 'db_replica_available',
  dbReplicaLag: 'db_replica_lag_seconds',
  dbReplicaPool: 'db_replica_pool_connections',
  dbReadRoutes: 'db_read_routes_total',
  cacheHits: 'cache_hits_total',
  cacheMisses: 'cache_misses_total',
  cacheErrors: 'cache_errors_total',
  cacheFenced: 'cache_fenced',
  cacheInvalidationsRecorded: 'cache_invalidations_recorded_total',
  messagesAppended: 'chat_messages_appended_total',
  messageFeedback: 'chat_message_feedback_total',
  agentTokens: 'chat_agent_tokens_total',
  agentLatency: 'chat_agent_latency_seconds',
  deltasAppended: 'chat_message_deltas_appended_total',
  streamsIncomplete: 'chat_message_streams_incomplete_total',
  eventStreamsOpen: 'events_streams_open',
  eventsSent: 'events_sent_total',
  eventsLost: 'events_lost_total',
  rateLimitFailOpen: 'rate_limit_fail_open_total',
  rateLimited: 'rate_limited_total',
  tokensRefused: 'auth_tokens_refused_total',
  purgeRuns: 'purge_runs_total',
  purgeDeletedRows: 'purge_deleted_rows_total',
  purgeStatementDuration: 'purge_statement_duration_seconds',
  retentionTrashed: 'retention_trashed_conversations_total',
} as const;

/** The agents of the agent service; any other name is counted as `other` (bounded cardinality). */
export const KNOWN_AGENTS = [
  'conversation_agent',
  'regulation_agent',
  'consultation_agent',
] as const;

export function agentLabel(agent: string | null | undefined): string {
  if (!agent) return 'none';
  return (KNOWN_AGENTS as readonly string[]).includes(agent) ? agent : 'other';
}
