import { Injectable } from '@nestjs/common';
import { queryRows } from '../database/query-rows';
import { Transactions } from '../database/transactions';
import { Conversation } from './conversation.entity';
import type { ConversationKey } from './conversation-key';
import {
  countStatement,
  inRestorableTrash,
  orderKeyOf,
  pageStatement,
  type ConversationFilters,
  type ConversationPosition,
  type ListPage,
} from './conversation-list';
import type { NormalizedTags } from './tags';

export type NewConversation = Pick<
  Conversation,
  'id' | 'userId' | 'title' | 'messageCount' | 'metadata' | 'headMessageId'
>;

export interface ConversationChanges {
  title?: string;
  metadata?: Record<string, unknown>;
  isArchived?: boolean;
  isPinned?: boolean;
  tags?: NormalizedTags;
}

/** The two flags bulk actions set; the union keeps column names out of caller-built SQL. */
export type ConversationFlag = 'is_archived' | 'is_pinned';

export interface TagCount {
  tag: string;
  count: number;
}

/** Where an export batch starts: strictly after this conversation, oldest `created_at` first. */
export interface ExportPosition {
  createdAtMicros: string;
  id: string;
}

export interface ConversationTitle {
  id: string;
  title: string;
  updated_at: Date;
}

export interface SequenceClaim {
  conversation: Conversation;
  /** The seq of the first of the claimed messages; they follow without a gap. */
  firstSeq: number;
}

// The seed lets created_at be null: such a row sorts first rather than falling out of the keyset.
const EXPORT_ORDER = `COALESCE(c.created_at, 'epoch'::timestamptz)`;
// PostgreSQL keeps microseconds, JavaScript dates milliseconds: positions carry the exact value.
const EXPORT_ORDER_MICROS = `(extract(epoch FROM ${EXPORT_ORDER}) * 1000000)::bigint::text`;

/**
 * The user's tags on live conversations with their counts: first the uses of each spelling (one
 * hash aggregation over the tagged conversations, through `idx_conversations_tags`), then per tag
 * its most used spelling, over those few rows. Three times faster than `mode()` over every use.
 */
export const TAG_COUNTS = `SELECT tag, count FROM (
    SELECT DISTINCT ON (key) key, tag, (sum(uses) OVER (PARTITION BY key))::int AS count
    FROM (
      SELECT key, tag, count(*) AS uses
      FROM (SELECT unnest(c.tags) AS tag, unnest(c.tag_keys) AS key FROM conversations c
            WHERE c.user_id = $1 AND c.is_active = true AND c.tag_keys <> '{}') AS uses
      GROUP BY key, tag) AS spellings
    ORDER BY key, uses DESC, tag COLLATE "C") AS tags
  ORDER BY count DESC, key COLLATE "C"`;

/**
 * Every query on `conversations`, in the caller's transaction when there is one. Each one is
 * scoped to the owner: there is no unscoped read.
 */
@Injectable()
export class ConversationsRepository {
  constructor(private readonly transactions: Transactions) {}

  async findActive(userId: number, id: string): Promise<Conversation | null> {
    const rows = await queryRows(
      this.transactions.tx,
      `SELECT * FROM conversations WHERE id = $1 AND user_id = $2 AND is_active = true`,
      [id, userId],
    );
    return rows.length > 0 ? conversationFromRow(rows[0]) : null;
  }

  /** Times come from the database clock, like every other. */
  async insert(conversation: NewConversation): Promise<Conversation> {
    const [row] = await queryRows(
      this.transactions.tx,
      `INSERT INTO conversations (id, user_id, title, message_count, metadata, head_message_id)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6)
       RETURNING *`,
      [
        conversation.id,
        conversation.userId,
        conversation.title,
        conversation.messageCount,
        JSON.stringify(conversation.metadata),
        conversation.headMessageId,
      ],
    );
    return conversationFromRow(row);
  }

  /** A page of the list the filters select (`conversation-list.ts`), without metadata. */
  async list(
    userId: number,
    filters: ConversationFilters,
    trashDays: number,
    page: ListPage,
  ): Promise<Array<{ conversation: Conversation; position: ConversationPosition }>> {
    const { sql, params } = pageStatement(userId, filters, trashDays, page);
    const rows: Record<string, unknown>[] = await this.transactions.tx.query(sql, params);
    const key = orderKeyOf(filters);
    return rows.map((row) => ({
      conversation: conversationFromRow(row),
      position: { key, micros: String(row.position_micros), id: String(row.id) },
    }));
  }

  async count(userId: number, filters: ConversationFilters, trashDays: number): Promise<number> {
    const { sql, params } = countStatement(userId, filters, trashDays);
    const [{ count }] = await this.transactions.tx.query(sql, params);
    return Number(count);
  }

  /** Titles and update times of some of the user's conversations, whatever their state. */
  titles(userId: number, ids: string[]): Promise<ConversationTitle[]> {
    return this.transactions.tx.query(
      `SELECT id, title, updated_at FROM conversations WHERE user_id = $1 AND id = ANY($2::varchar[])`,
      [userId, ids],
    );
  }

  /**
   * Replaces what `changes` names. A new title or metadata moves `updated_at`; archiving, pinning
   * and tagging only organise the list, so they neither reorder it nor restart retention.
   */
  async update(
    userId: number,
    id: string,
    changes: ConversationChanges,
  ): Promise<Conversation | null> {
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations
       SET title = COALESCE($3, title), metadata = COALESCE($4::jsonb, metadata),
           is_archived = COALESCE($5, is_archived), is_pinned = COALESCE($6, is_pinned),
           tags = COALESCE($7::text[], tags), tag_keys = COALESCE($8::text[], tag_keys),
           updated_at = CASE WHEN $3::text IS NULL AND $4::jsonb IS NULL THEN updated_at ELSE now() END
       WHERE id = $1 AND user_id = $2 AND is_active = true
       RETURNING *`,
      [
        id,
        userId,
        changes.title ?? null,
        changes.metadata ? JSON.stringify(changes.metadata) : null,
        changes.isArchived ?? null,
        changes.isPinned ?? null,
        changes.tags?.tags ?? null,
        changes.tags?.keys ?? null,
      ],
    );
    return rows.length > 0 ? conversationFromRow(rows[0]) : null;
  }

  /** Moves `updated_at` and, when given, `last_agent_used`; null unless active and the user's. */
  async recordActivity(
    userId: number,
    id: string,
    lastAgentUsed: string | null,
  ): Promise<Conversation | null> {
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations SET updated_at = now(), last_agent_used = COALESCE($3, last_agent_used)
       WHERE id = $1 AND user_id = $2 AND is_active = true
       RETURNING *`,
      [id, userId, lastAgentUsed],
    );
    return rows.length > 0 ? conversationFromRow(rows[0]) : null;
  }

  /**
   * Moves the user's conversations among `ids` to the trash; those already there keep their
   * `deleted_at` (deleting again does not restart the window). Answers the ids the user owns.
   */
  async trash(userId: number, ids: string[]): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.transactions.tx,
      `UPDATE conversations
       SET is_active = false,
           deleted_at = CASE WHEN is_active THEN now() ELSE deleted_at END,
           updated_at = CASE WHEN is_active THEN now() ELSE updated_at END
       WHERE user_id = $1 AND id = ANY($2::varchar[])
       RETURNING id`,
      [userId, ids],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Brings back those of `ids` in the user's restorable trash, archive, pin and tags as they were.
   * Restoring counts as an update (`updated_at` moves): otherwise a conversation the retention
   * job had trashed would go straight back on its next run.
   */
  async restore(userId: number, ids: string[], trashDays: number): Promise<Conversation[]> {
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations c SET is_active = true, deleted_at = NULL, updated_at = now()
       WHERE c.user_id = $1 AND c.id = ANY($2::varchar[]) AND ${inRestorableTrash('$3')}
       RETURNING *`,
      [userId, ids, trashDays],
    );
    return rows.map(conversationFromRow);
  }

  /** Sets a flag on the user's live conversations among `ids`; answers those it set. */
  async setFlag(
    userId: number,
    ids: string[],
    flag: ConversationFlag,
    value: boolean,
  ): Promise<Conversation[]> {
    const column = flag === 'is_archived' ? 'is_archived' : 'is_pinned';
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations SET ${column} = $3
       WHERE user_id = $1 AND id = ANY($2::varchar[]) AND is_active = true
       RETURNING *`,
      [userId, ids, value],
    );
    return rows.map(conversationFromRow);
  }

  /** The tags of the user's live conversations among `ids`, locked until the transaction ends. */
  lockTags(userId: number, ids: string[]): Promise<Array<{ id: string; tags: string[] }>> {
    return this.transactions.tx.query(
      `SELECT id, tags FROM conversations
       WHERE user_id = $1 AND id = ANY($2::varchar[]) AND is_active = true
       FOR UPDATE`,
      [userId, ids],
    );
  }

  /**
   * Replaces the tags of several of the user's conversations in one statement; answers the
   * conversations as written.
   */
  async writeTags(
    userId: number,
    changes: Array<{ id: string; tags: NormalizedTags }>,
  ): Promise<Conversation[]> {
    if (changes.length === 0) return [];
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations c
       SET tags = ARRAY(SELECT e FROM jsonb_array_elements_text(u.tags) WITH ORDINALITY AS t(e, n) ORDER BY n),
           tag_keys = ARRAY(SELECT e FROM jsonb_array_elements_text(u.keys) WITH ORDINALITY AS t(e, n) ORDER BY n)
       FROM jsonb_to_recordset($2::jsonb) AS u(id text, tags jsonb, keys jsonb)
       WHERE c.id = u.id AND c.user_id = $1
       RETURNING c.*`,
      [
        userId,
        JSON.stringify(changes.map(({ id, tags }) => ({ id, tags: tags.tags, keys: tags.keys }))),
      ],
    );
    return rows.map(conversationFromRow);
  }

  /** Those of `ids` the user owns, in any state, locked until the transaction ends. */
  async lockOwned(userId: number, ids: string[]): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.transactions.tx.query(
      `SELECT id FROM conversations WHERE user_id = $1 AND id = ANY($2::varchar[]) FOR UPDATE`,
      [userId, ids],
    );
    return rows.map((row) => row.id);
  }

  /**
   * The user's tags on live conversations, most used first, then by name. Spellings that differ
   * only in case count as one tag, shown in its most used spelling.
   */
  tagCounts(userId: number): Promise<TagCount[]> {
    return this.transactions.tx.query(TAG_COUNTS, [userId]);
  }

  /**
   * A batch of everything the user has (live, archived, restorable trash), oldest first, for the
   * export: short statements, so a slow reader holds no transaction or connection.
   */
  async exportBatch(
    userId: number,
    trashDays: number,
    after: ExportPosition | null,
    limit: number,
  ): Promise<Array<{ conversation: Conversation; position: ExportPosition }>> {
    const params: unknown[] = [userId, trashDays, limit];
    let keyset = '';
    if (after) {
      params.push(after.createdAtMicros, after.id);
      keyset = `AND (${EXPORT_ORDER}, c.id) > ('epoch'::timestamptz + $4::bigint * interval '1 microsecond', $5)`;
    }
    const rows: Record<string, unknown>[] = await this.transactions.tx.query(
      `SELECT c.*, ${EXPORT_ORDER_MICROS} AS position_micros FROM conversations c
       WHERE c.user_id = $1 AND (c.is_active = true OR (${inRestorableTrash('$2')})) ${keyset}
       ORDER BY ${EXPORT_ORDER}, c.id LIMIT $3`,
      params,
    );
    return rows.map((row) => ({
      conversation: conversationFromRow(row),
      position: { createdAtMicros: String(row.position_micros), id: String(row.id) },
    }));
  }

  /**
   * Reserves `count` consecutive seq numbers on an active conversation and moves its counters; the
   * caller's transaction must also insert the messages. The row lock this UPDATE takes serializes concurrent appends, so seq
   * has no gap and no duplicate; `message_count` is the highest seq because messages are never
   * deleted one by one. Null when the user owns no such active conversation.
   */
  async claimSequence(
    userId: number,
    id: string,
    count: number,
    lastAgentUsed: string | null,
  ): Promise<SequenceClaim | null> {
    const rows = await queryRows(
      this.transactions.tx,
      `UPDATE conversations
       SET message_count = COALESCE(message_count, 0) + $3,
           updated_at = now(),
           last_agent_used = COALESCE($4, last_agent_used)
       WHERE id = $1 AND user_id = $2 AND is_active = true
       RETURNING *`,
      [id, userId, count, lastAgentUsed],
    );
    if (rows.length === 0) return null;
    const conversation = conversationFromRow(rows[0]);
    return { conversation, firstSeq: conversation.messageCount - count + 1 };
  }

  /**
   * The user's active conversation, its row locked until the caller's transaction ends: the lock
   * the seq claim takes, for writes that move the branch without appending.
   */
  async lockActive(userId: number, id: string): Promise<Conversation | null> {
    const rows = await queryRows(
      this.transactions.tx,
      `SELECT * FROM conversations WHERE id = $1 AND user_id = $2 AND is_active = true FOR UPDATE`,
      [id, userId],
    );
    return rows.length > 0 ? conversationFromRow(rows[0]) : null;
  }

  /** Moves the head of a conversation whose row the caller's transaction has locked. */
  async setHead(conversation: ConversationKey, headMessageId: string): Promise<Conversation> {
    const [row] = await queryRows(
      this.transactions.tx,
      `UPDATE conversations SET head_message_id = $3 WHERE id = $1 AND user_id = $2 RETURNING *`,
      [conversation.id, conversation.userId, headMessageId],
    );
    return conversationFromRow(row);
  }
}

function conversationFromRow(row: Record<string, unknown>): Conversation {
  return Object.assign(new Conversation(), {
    id: row.id,
    userId: row.user_id,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.message_count ?? 0,
    lastAgentUsed: row.last_agent_used,
    isActive: row.is_active,
    metadata: row.metadata ?? {},
    headMessageId: row.head_message_id ?? null,
    isArchived: row.is_archived ?? false,
    isPinned: row.is_pinned ?? false,
    tags: row.tags ?? [],
    deletedAt: row.deleted_at ?? null,
  });
}
