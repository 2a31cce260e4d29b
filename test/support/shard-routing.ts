/**
 * Whether a statement would reach one Citus shard under the distribution of docs/scaling.md: every
 * reference to a table distributed on `user_id` must be pinned to one user, by `user_id = $n`, by
 * `user_id` equal to that of another reference that is (a co-located join), or for an INSERT by
 * `user_id` among its columns. Read from the SQL text: enough for the statements this service
 * writes (one style per kind of query), not a general SQL parser.
 */
export const DISTRIBUTED_ON_USER_ID = [
  'conversations',
  'messages',
  'message_feedback',
  'idempotency_keys',
  'message_streams',
  'message_deltas',
] as const;

export interface TableReference {
  table: string;
  /** How the statement names it in predicates: its alias, else the table itself. */
  name: string;
  /** Whether an unqualified `user_id` may mean this reference (it has no alias). */
  unaliased: boolean;
  insert: boolean;
}

const IDENTIFIER = `"?([A-Za-z_][A-Za-z0-9_]*)"?`;
const REFERENCE = new RegExp(
  `\\b(FROM|JOIN|INTO|UPDATE)\\s+(?:ONLY\\s+)?"?(${DISTRIBUTED_ON_USER_ID.join('|')})"?(?:\\s+(?:AS\\s+)?${IDENTIFIER})?`,
  'gi',
);
// Words that may follow a table name and are not its alias.
const NOT_ALIASES = new Set(
  [
    'where',
    'set',
    'on',
    'using',
    'join',
    'left',
    'right',
    'inner',
    'full',
    'cross',
    'natural',
    'order',
    'group',
    'having',
    'limit',
    'offset',
    'for',
    'union',
    'values',
    'returning',
    'window',
    'default',
  ].map((word) => word.toUpperCase()),
);

/** The references to distributed tables in a statement. */
export function distributedReferences(sql: string): TableReference[] {
  return [...sql.matchAll(REFERENCE)].map((match) => {
    const [, keyword, table, word] = match;
    const alias = word && !NOT_ALIASES.has(word.toUpperCase()) ? word : undefined;
    const insert = keyword.toUpperCase() === 'INTO';
    return { table, name: insert || !alias ? table : alias, unaliased: !alias, insert };
  });
}

/** The references that nothing pins to one user: each would make Citus read every shard. */
export function unpinnedReferences(sql: string): TableReference[] {
  const references = distributedReferences(sql);
  const pinned = new Set<TableReference>();
  for (const reference of references) {
    if (reference.insert ? insertsUserId(sql, reference) : comparedTo(sql, reference, PARAMETER))
      pinned.add(reference);
  }
  // Joins: equal to the user_id of a pinned reference is pinned too (repeat until nothing moves).
  for (let moved = true; moved;) {
    moved = false;
    for (const reference of references) {
      if (pinned.has(reference)) continue;
      const others = [...pinned].map((other) => qualified(other.name));
      if (others.length > 0 && comparedTo(sql, reference, `(?:${others.join('|')})`)) {
        pinned.add(reference);
        moved = true;
      }
    }
  }
  return references.filter((reference) => !pinned.has(reference));
}

const PARAMETER = '\\$\\d+';

function qualified(name: string): string {
  return `"?${name}"?\\."?user_id"?`;
}

/** Whether the statement holds `<reference>.user_id = <value>` (either way round). */
function comparedTo(sql: string, reference: TableReference, value: string): boolean {
  const column = reference.unaliased
    ? `(?:${qualified(reference.name)}|(?<![."\\w])"?user_id"?)`
    : qualified(reference.name);
  const equality = new RegExp(`${column}\\s*=\\s*${value}|${value}\\s*=\\s*${column}`, 'i');
  return equality.test(sql);
}

function insertsUserId(sql: string, reference: TableReference): boolean {
  const columns = new RegExp(`INTO\\s+"?${reference.table}"?\\s*\\(([^)]*)\\)`, 'i').exec(sql);
  return columns !== null && /(^|[\s,(])"?user_id"?([\s,)]|$)/.test(columns[1]);
}
