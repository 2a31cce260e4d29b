import { Injectable } from '@nestjs/common';
import { queryAffected, queryRows } from '../database/query-rows';
import { Transactions } from '../database/transactions';
import { IDEMPOTENCY_KEY_LIFETIME } from '../idempotency/idempotency.repository';

/** What the counts of a purge report or an erasure receipt are made of. */
export type RowKind = 'conversations' | 'messages' | 'feedback' | 'idempotency_keys';

export type RowCounts = Record<RowKind, number>;

export const NO_ROWS: RowCounts = {
  conversations: 0,
  messages: 0,
  feedback: 0,
  idempotency_keys: 0,
};

export interface OwnedTable {
  table: string;
  kind: RowKind;
  /** The columns that name one row (the primary key), for deleting a batch of them. */
  key: string;
  /**
   * A SELECT of the keys of this table's rows that belong to the conversations `$1::varchar[]`,
   * whoever owns them (the job, across users).
   */
  ofConversations: string;
  /** The same for the conversations `$1::varchar[]` of the user `$2` (a request: one user's rows). */
  ofUserConversations: string;
  /** A SELECT of the keys of this table's rows that belong to the user `$1`. */
  ofUser: string;
}

/**
 * Every table holding rows of a conversation or of a user, children before parents (no foreign
 * key cascades). The purge, the permanent delete and the erasure all delete through this list:
 * a new table that belongs to a conversation or a user is one more entry here, before the table
 * its foreign key points to. Each entry is deleted `BATCH_ROWS` rows per statement.
 *
 * Idempotency records belong to the conversation their stored answer names (`id` of a create or
 * restore, `conversation_id` of an append): the answer holds its title and message text.
 *
 * Feedback on messages (`message_feedback`, foreign key to messages ON DELETE CASCADE) goes
 * first: the cascade alone would delete it unbatched and uncounted (the receipt's
 * `erased.feedback` counts this entry's rows). The agents' conversation-days
 * (`agent_daily_conversations`: a conversation id, an agent, a day; no text, no user) go by the
 * cascade from `conversations`, a few rows per conversation.
 */
export const OWNED_TABLES: readonly OwnedTable[] = [
  {
    table: 'message_feedback',
    kind: 'feedback',
    key: 'message_id',
    ofConversations: `SELECT message_id FROM message_feedback WHERE conversation_id = ANY($1::varchar[])`,
    ofUserConversations: `SELECT message_id FROM message_feedback
      WHERE user_id = $2 AND conversation_id = ANY($1::varchar[])`,
    ofUser: `SELECT message_id FROM message_feedback WHERE user_id = $1`,
  },
  {
    table: 'messages',
    kind: 'messages',
    key: 'id',
    ofConversations: `SELECT id FROM messages WHERE conversation_id = ANY($1::varchar[])`,
    ofUserConversations: `SELECT id FROM messages
      WHERE user_id = $2 AND conversation_id = ANY($1::varchar[])`,
    ofUser: `SELECT id FROM messages WHERE user_id = $1`,
  },
  {
    table: 'idempotency_keys',
    kind: 'idempotency_keys',
    key: '(user_id, key)',
    // Each owner's records are read once, whatever the number of conversations in the batch.
    ofConversations: `SELECT k.user_id, k.key FROM idempotency_keys k
      WHERE k.user_id IN (SELECT c.user_id FROM conversations c WHERE c.id = ANY($1::varchar[]))
        AND (k.response_body->>'id' = ANY($1::varchar[])
          OR k.response_body->>'conversation_id' = ANY($1::varchar[]))`,
    ofUserConversations: `SELECT user_id, key FROM idempotency_keys
      WHERE user_id = $2 AND (response_body->>'id' = ANY($1::varchar[])
        OR response_body->>'conversation_id' = ANY($1::varchar[]))`,
    ofUser: `SELECT user_id, key FROM idempotency_keys WHERE user_id = $1`,
  },
  {
    table: 'conversations',
    kind: 'conversations',
    key: 'id',
    ofConversations: `SELECT id FROM conversations WHERE id = ANY($1::varchar[])`,
    ofUserConversations: `SELECT id FROM conversations WHERE user_id = $2 AND id = ANY($1::varchar[])`,
    ofUser: `SELECT id FROM conversations WHERE user_id = $1`,
  },
];

/** At most this many rows per statement: no statement holds its locks for long. */
export const BATCH_ROWS = 1000;

export interface OwnedConversation {
  id: string;
  user_id: number;
}

/** Where a walk of the expired trash stands: `deleted_at` in microseconds, exact. */
export interface TrashPosition {
  id: string;
  deleted_micros: string;
}

/** Conversations of any user (the job), conversations of one user (a request), or a whole user. */
export type Scope =
  { conversations: string[] } | { conversations: string[]; owner: number } | { user: number };

/**
 * Every statement of the purge, the retention move and the erasure. Each method is one statement,
 * run in the caller's transaction when there is one (a request, the erasure), else on its own (the
 * job, whose statements each commit at once).
 */
@Injectable()
export class PurgeRepository {
  constructor(private readonly transactions: Transactions) {}

  /** Deletes up to `limit` rows of `table` in `scope`; answers how many it deleted. */
  deleteBatch(table: OwnedTable, scope: Scope, limit: number): Promise<number> {
    const [select, parameters] = selectionOf(table, scope);
    return queryAffected(
      this.transactions.tx,
      `DELETE FROM ${table.table} WHERE ${table.key} IN (${select} LIMIT $${parameters.length + 1})`,
      [...parameters, limit],
    );
  }

  async countRows(table: OwnedTable, scope: Scope): Promise<number> {
    const [select, parameters] = selectionOf(table, scope);
    const [{ count }] = await this.transactions.tx.query(
      `SELECT count(*)::int AS count FROM (${select}) AS owned`,
      parameters,
    );
    return count;
  }

  /**
   * Up to `limit` conversations in the trash for longer than `trashDays`, oldest first, after
   * `after` (a dry run walks them without deleting). The row lock, skipped when a user holds it,
   * waits out a restore in flight; once past the window no restore succeeds (`inRestorableTrash`).
   */
  expiredTrash(
    trashDays: number,
    limit: number,
    after: TrashPosition | null,
  ): Promise<Array<OwnedConversation & TrashPosition>> {
    const keyset = after
      ? `AND (deleted_at, id) > ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', $4)`
      : '';
    return this.transactions.tx.query(
      `SELECT id, user_id, (extract(epoch FROM deleted_at) * 1000000)::bigint::text AS deleted_micros
       FROM conversations
       WHERE is_active = false AND deleted_at <= statement_timestamp() - $1::int * interval '1 day' ${keyset}
       ORDER BY deleted_at, id LIMIT $2
       FOR UPDATE SKIP LOCKED`,
      after ? [trashDays, limit, after.deleted_micros, after.id] : [trashDays, limit],
    );
  }

  /**
   * Moves up to `limit` live conversations not updated for `retentionDays` to the trash, where
   * they stay restorable for the trash window. `updated_at` is kept: it says when it was last used.
   */
  moveStaleToTrash(retentionDays: number, limit: number): Promise<OwnedConversation[]> {
    return queryRows<OwnedConversation>(
      this.transactions.tx,
      `UPDATE conversations SET is_active = false, deleted_at = now()
       WHERE id IN (
         SELECT id FROM conversations
         WHERE is_active = true AND updated_at < statement_timestamp() - $1::int * interval '1 day'
         ORDER BY updated_at LIMIT $2
         FOR UPDATE SKIP LOCKED)
       RETURNING id, user_id`,
      [retentionDays, limit],
    );
  }

  async countStale(retentionDays: number): Promise<number> {
    const [{ count }] = await this.transactions.tx.query(
      `SELECT count(*)::int AS count FROM conversations
       WHERE is_active = true AND updated_at < statement_timestamp() - $1::int * interval '1 day'`,
      [retentionDays],
    );
    return count;
  }

  /**
   * Deletes up to `limit` idempotency records past their lifetime, of every user. The lifetime is
   * checked again on the row itself: a key reclaimed meanwhile (the claim renews `created_at`)
   * is kept, and rows a claim holds right now are skipped.
   */
  deleteExpiredIdempotencyKeys(limit: number): Promise<number> {
    return queryAffected(
      this.transactions.tx,
      `DELETE FROM idempotency_keys
       WHERE (user_id, key) IN (
         SELECT user_id, key FROM idempotency_keys
         WHERE created_at <= now() - interval '${IDEMPOTENCY_KEY_LIFETIME}'
         LIMIT $1 FOR UPDATE SKIP LOCKED)
       AND created_at <= now() - interval '${IDEMPOTENCY_KEY_LIFETIME}'`,
      [limit],
    );
  }

  async countExpiredIdempotencyKeys(): Promise<number> {
    const [{ count }] = await this.transactions.tx.query(
      `SELECT count(*)::int AS count FROM idempotency_keys
       WHERE created_at <= now() - interval '${IDEMPOTENCY_KEY_LIFETIME}'`,
    );
    return count;
  }
}

function selectionOf(table: OwnedTable, scope: Scope): [string, unknown[]] {
  if ('user' in scope) return [table.ofUser, [scope.user]];
  if ('owner' in scope) return [table.ofUserConversations, [scope.conversations, scope.owner]];
  return [table.ofConversations, [scope.conversations]];
}
