/** The largest PostgreSQL INTEGER: user ids and seq numbers are INTEGER columns. */
export const INT32_MAX = 2_147_483_647;

/** The limits of the REST contract (`api.md`), in JavaScript string lengths unless said. */
export const LIMITS = {
  contentLength: 32_000,
  titleLength: 200,
  agentNameLength: 50,
  /** Ids of conversations and messages, ours and the predecessor's. */
  idLength: 50,
  referencesCount: 50,
  jsonObjectBytes: 16 * 1024,
  queryLength: 200,
  bodyBytes: 1024 * 1024,
  /** After a 413, how much of the rest of the body is read and discarded before closing. */
  linger: { bytes: 16 * 1024 * 1024, ms: 5_000 },
  /** The shape of a JSON body: nesting, members of one object or array, members in all. */
  json: { depth: 64, width: 1_000, members: 5_000 },
  messagesPerAppend: 10,
  conversationsPageSize: { default: 20, max: 100 },
  messagesPageSize: { default: 50, max: 200 },
  searchPageSize: { default: 20, max: 100 },
  recentMessages: 20,
  idempotencyKeyLength: 255,
  cursorLength: 200,
  maxPage: 1_000_000,
  maxOffset: 100_000_000,
  feedbackCommentLength: 2_000,
  feedbackReasons: 10,
  feedbackReasonLength: 50,
  usageModelLength: 100,
  /** The agents' statistics window, in UTC days. */
  agentStatsDays: { default: 7, max: 92 },
  tagsPerConversation: 20,
  tagLength: 50,
  bulkIds: 100,
  bulkIdLength: 200,
} as const;
