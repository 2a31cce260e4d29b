/** The largest PostgreSQL INTEGER: user ids and seq numbers are INTEGER columns. */
export const INT32_MAX = 2_147_483_647;

/** The limits of the REST contract (`api.md`), in JavaScript string lengths unless said. */
export const LIMITS = {
  contentLength: 32_000,
  titleLength: 200,
  agentNameLength: 50,
  referencesCount: 50,
  jsonObjectBytes: 16 * 1024,
  queryLength: 200,
  bodyBytes: 1024 * 1024,
  jsonDepth: 64,
  messagesPerAppend: 10,
  conversationsPageSize: { default: 20, max: 100 },
  messagesPageSize: { default: 50, max: 200 },
  searchPageSize: { default: 20, max: 100 },
  recentMessages: 20,
  idempotencyKeyLength: 255,
  cursorLength: 200,
  maxPage: 1_000_000,
  maxOffset: 100_000_000,
  tagsPerConversation: 20,
  tagLength: 50,
  bulkIds: 100,
  bulkIdLength: 200,
} as const;
