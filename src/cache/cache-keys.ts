/**
 * The user's part of every Redis key of this service: `{u:<id>}`. The braces are a Redis Cluster
 * hash tag: only `u:<id>` is hashed, so all of one user's keys (cache version and entries,
 * rate-limit counter, write position) live in one slot, and a MULTI or script over them works on
 * a cluster as on a single server. Keys were `<prefix>:u:<id>:...` before: entries in the old
 * format are never read again and expire with their TTL.
 */
export function userTag(userId: number): string {
  return `{u:${userId}}`;
}

/**
 * Every cache key is built here. Each one holds the user, and entries record the user's cache
 * version they were read under, so that a write makes all of that user's cached answers stale at
 * once (no KEYS scan, no per-entry delete) and no user can ever read another's entry. Keys
 * carry ids and page sizes only: never a token or message text.
 */
export const cacheKeys = {
  /** The user's cache version: a random token replaced on every write. */
  version: (prefix: string, userId: number): string => `${prefix}:${userTag(userId)}:version`,

  /**
   * A cached answer of the user, which records the version it was read under (cached-answer.ts):
   * it is served only while that is still the user's version. `answer` names the entry's format:
   * an entry of another format, written by another release during a rolling deploy, is never read.
   */
  entry: (prefix: string, userId: number, read: string): string =>
    `${prefix}:${userTag(userId)}:answer:${read}`,

  /** Where the user's last write is in the primary's WAL (read-your-writes on replicas). */
  writePosition: (prefix: string, userId: number): string => `${prefix}:${userTag(userId)}:wal`,

  conversation: (conversationId: string): string => `conversation:${conversationId}`,

  firstMessagePage: (conversationId: string, limit: number): string =>
    `messages:${conversationId}:first:${limit}`,

  firstConversationPage: (limit: number): string => `conversations:first:${limit}`,
  tags: (): string => 'tags',
  /**
   * A SCAN pattern for every key of the user: cache entries, the version, rate-limit counters
   * (`<prefix>:{u:<id>}:ratelimit:...`), events, tickets and whatever else follows the rule.
   */
  everythingOf: (prefix: string, userId: number): string =>
    `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:${userTag(userId)}:*`,

  /** A conversation's recent events (a Redis stream), which `Last-Event-ID` resumes from. */
  eventHistory: (prefix: string, userId: number, conversationId: string): string =>
    `${prefix}:${userTag(userId)}:events:${conversationId}`,

  /** The Pub/Sub channel its events are delivered on, to every replica with a stream open. */
  eventChannel: (prefix: string, userId: number, conversationId: string): string =>
    `${prefix}:${userTag(userId)}:events:${conversationId}:live`,

  /** A single-use stream ticket, named by a digest of its secret (never the secret itself). */
  eventTicket: (prefix: string, userId: number, secretDigest: string): string =>
    `${prefix}:${userTag(userId)}:ticket:${secretDigest}`,
};

/** The version a user has before any write reached the cache (or after the version expired). */
export const INITIAL_VERSION = '0';

/**
 * The page size of a request for the first page (no page, offset, cursor or seq window, or
 * `offset=0` / `page=1` as the predecessor's gateway sends), read from the raw query: interceptors
 * run before validation. Null when it asks for anything else.
 */
export function firstPageLimit(query: unknown, defaultLimit: number): number | null {
  const { limit, offset, page, ...others } = (query ?? {}) as Record<string, unknown>;
  if (Object.keys(others).length > 0) return null;
  if (offset !== undefined && offset !== '0') return null;
  if (page !== undefined && page !== '1') return null;
  if (offset !== undefined && page !== undefined) return null;
  if (limit === undefined) return defaultLimit;
  return typeof limit === 'string' && /^[1-9]\d{0,2}$/.test(limit) ? Number(limit) : null;
}
