/**
 * Which conversations a list shows and in what order, as SQL on `conversations c`: every filter
 * of `GET /` decided in one pure function, so that each combination is one plain statement whose
 * index the tests and the benchmark can name.
 */
export interface ConversationFilters {
  /** The trash instead of the live conversations. */
  trashed: boolean;
  /** Undefined: archived or not (the whole trash by default). */
  archived?: boolean;
  pinned?: boolean;
  /** A tag's key (`tagKey()`), compared case-insensitively. */
  tagKey?: string;
}

/** Live lists go newest `updated_at` first; the trash newest `deleted_at` first. */
export type ListOrderKey = 'updated_at' | 'deleted_at';

/** Where a keyset page starts: strictly after this conversation in the list's order. */
export interface ConversationPosition {
  key: ListOrderKey;
  /** The order column in microseconds since the epoch (PostgreSQL's precision), as text. */
  micros: string;
  id: string;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

export interface ListPage {
  limit: number;
  offset?: number;
  after?: ConversationPosition;
}

/** What the query string asks for: archived conversations leave every list but the trash. */
export function filtersOf(query: {
  trashed?: boolean;
  archived?: boolean;
  pinned?: boolean;
  tagKey?: string;
}): ConversationFilters {
  const trashed = query.trashed ?? false;
  return {
    trashed,
    archived: query.archived ?? (trashed ? undefined : false),
    pinned: query.pinned,
    tagKey: query.tagKey,
  };
}

export function orderKeyOf(filters: ConversationFilters): ListOrderKey {
  return filters.trashed ? 'deleted_at' : 'updated_at';
}

const micros = (column: string): string =>
  `(extract(epoch FROM ${column}) * 1000000)::bigint::text`;

const SUMMARY_COLUMNS = `c.id, c.user_id, c.title, c.created_at, c.updated_at, c.message_count,
  c.last_agent_used, c.is_active, c.is_archived, c.is_pinned, c.tags, c.deleted_at`;

/** A page of summaries (no metadata), each with its position for the next cursor. */
export function pageStatement(
  userId: number,
  filters: ConversationFilters,
  trashDays: number,
  page: ListPage,
): Statement {
  const key = orderKeyOf(filters);
  const params: unknown[] = [userId];
  const conditions = conditionsOf(filters, trashDays, params);
  if (page.after) {
    params.push(page.after.micros, page.after.id);
    conditions.push(
      `(c.${key}, c.id) < ('epoch'::timestamptz + $${params.length - 1}::bigint * interval '1 microsecond', $${params.length})`,
    );
  }
  params.push(page.limit, page.offset ?? 0);
  return {
    sql: `SELECT ${SUMMARY_COLUMNS}, ${micros(`c.${key}`)} AS position_micros
      FROM conversations c WHERE ${conditions.join(' AND ')}
      ORDER BY c.${key} DESC, c.id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  };
}

/**
 * How many conversations the filters select. The default list (live, not archived, nothing
 * else) is counted as all live ones minus the archived ones: two index-only counts on
 * `idx_conversations_active` and `idx_conversations_archived`, as cheap as the count of the
 * list before archiving existed, where counting "not archived" directly reads every row.
 */
export function countStatement(
  userId: number,
  filters: ConversationFilters,
  trashDays: number,
): Statement {
  const isDefaultList =
    !filters.trashed &&
    filters.archived === false &&
    filters.pinned === undefined &&
    filters.tagKey === undefined;
  if (isDefaultList) {
    return {
      sql: `SELECT (SELECT count(*) FROM conversations c WHERE c.user_id = $1 AND c.is_active = true)
        - (SELECT count(*) FROM conversations c WHERE c.user_id = $1 AND c.is_active = true AND c.is_archived = true)
        AS count`,
      params: [userId],
    };
  }
  const params: unknown[] = [userId];
  const conditions = conditionsOf(filters, trashDays, params);
  return {
    sql: `SELECT count(*) AS count FROM conversations c WHERE ${conditions.join(' AND ')}`,
    params,
  };
}

/**
 * The trash shows what can still be restored: a conversation in it for longer than the window is
 * gone, whether or not the purge has removed its rows yet.
 */
export function inRestorableTrash(trashDaysParam: string): string {
  return `c.is_active = false AND c.deleted_at > statement_timestamp() - ${trashDaysParam}::int * interval '1 day'`;
}

function conditionsOf(
  filters: ConversationFilters,
  trashDays: number,
  params: unknown[],
): string[] {
  const conditions = ['c.user_id = $1'];
  if (filters.trashed) {
    params.push(trashDays);
    conditions.push(inRestorableTrash(`$${params.length}`));
  } else {
    conditions.push('c.is_active = true');
  }
  if (filters.archived !== undefined) conditions.push(`c.is_archived = ${filters.archived}`);
  if (filters.pinned !== undefined) conditions.push(`c.is_pinned = ${filters.pinned}`);
  if (filters.tagKey !== undefined) {
    params.push([filters.tagKey]);
    // `<> '{}'` is the predicate of the partial GIN index: stating it lets the planner use it.
    conditions.push(`c.tag_keys <> '{}' AND c.tag_keys @> $${params.length}::text[]`);
  }
  return conditions;
}
