import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { queryRows } from '../../database/query-rows';
import { Transactions } from '../../database/transactions';
import { liveConversationOf } from '../conversation-scopes';
import type { MessageStatus } from './message.entity';

/** A message of a user's conversation, as every statement here names it (the owner first). */
export interface MessageRef {
  userId: number;
  conversationId: string;
  messageId: string;
}

/** Why a write to a stream was refused. */
export interface StreamState {
  status: MessageStatus;
  /** Null once the stream is over. */
  length: number | null;
  /** Written to within the window (a stale stream takes no more writes). */
  live: boolean;
}

/** What a read shows of a streaming message. */
export interface StreamedText {
  text: string;
  /** No write for the window: it reads `incomplete`. */
  stale: boolean;
}

/**
 * Every query on the parts of a streaming message: its row in `message_streams` (its length and
 * the time of its last write: a delta rewrites these few bytes, never the text) and its pieces
 * in `message_deltas` (one row per delta, at the offset it starts at). The text is assembled on
 * read while the message streams, and written once into `messages.content` when it ends. Time is
 * the database's, for reads and writes alike, so that a read showing `incomplete` and a write
 * refused as stale cannot disagree.
 */
@Injectable()
export class MessageStreamsRepository {
  private readonly staleSeconds: number;

  constructor(
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.staleSeconds = config.streaming.staleSeconds;
  }

  /** Opens the streams of new messages, in their insert's transaction, with any initial text. */
  async start(messages: Array<MessageRef & { text: string }>): Promise<void> {
    if (messages.length === 0) return;
    const [{ userId, conversationId }] = messages;
    await this.transactions.tx.query(
      `INSERT INTO message_streams (user_id, message_id, conversation_id, length)
       SELECT $1, message_id, $2, length FROM unnest($3::varchar[], $4::int[]) AS m(message_id, length)`,
      [
        userId,
        conversationId,
        messages.map((message) => message.messageId),
        messages.map((message) => message.text.length),
      ],
    );
    const initial = messages.filter((message) => message.text.length > 0);
    if (initial.length === 0) return;
    await this.transactions.tx.query(
      `INSERT INTO message_deltas (user_id, message_id, start_offset, text)
       SELECT $1, message_id, 0, text FROM unnest($2::varchar[], $3::text[]) AS d(message_id, text)`,
      [userId, initial.map((message) => message.messageId), initial.map((message) => message.text)],
    );
  }

  /**
   * Appends `text` to a live stream of an active conversation when `offset` (if given) is its
   * length and the result stays within `maxLength`: the new length, or null when refused. The
   * UPDATE locks the stream's row, so a delta racing another with the same offset waits, then
   * finds the length moved and is refused: no text is stored twice.
   */
  async append(
    ref: MessageRef,
    text: string,
    offset: number | undefined,
    maxLength: number,
  ): Promise<number | null> {
    const [row] = await queryRows<{ length: number }>(
      this.transactions.tx,
      `UPDATE message_streams s SET length = s.length + $4, written_at = now()
       WHERE s.user_id = $1 AND s.message_id = $2 AND s.conversation_id = $3
         AND s.written_at > now() - $5 * interval '1 second'
         AND ($6::int IS NULL OR s.length = $6) AND s.length + $4 <= $7
         AND ${liveConversationOf('s')}
       RETURNING s.length`,
      [
        ref.userId,
        ref.messageId,
        ref.conversationId,
        text.length,
        this.staleSeconds,
        offset ?? null,
        maxLength,
      ],
    );
    if (!row) return null;
    await this.transactions.tx.query(
      `INSERT INTO message_deltas (user_id, message_id, start_offset, text) VALUES ($1, $2, $3, $4)`,
      [ref.userId, ref.messageId, row.length - text.length, text],
    );
    return row.length;
  }

  /** The message's status and its stream's, for the answer to a refused write; null if none. */
  async state(ref: MessageRef): Promise<StreamState | null> {
    const [row] = await queryRows<StreamState>(
      this.transactions.tx,
      `SELECT m.status, s.length, COALESCE(s.written_at > now() - $4 * interval '1 second', false) AS live
       FROM messages m
       LEFT JOIN message_streams s ON s.user_id = m.user_id AND s.message_id = m.id
       WHERE m.user_id = $1 AND m.id = $2 AND m.conversation_id = $3 AND ${liveConversationOf('m')}`,
      [ref.userId, ref.messageId, ref.conversationId, this.staleSeconds],
    );
    return row ?? null;
  }

  /**
   * Ends a live stream of an active conversation: deletes its row (locking it against a delta or
   * the sweep) and its pieces, and returns its text; null when it is not live.
   */
  async end(ref: MessageRef): Promise<string | null> {
    const ended = await queryRows(
      this.transactions.tx,
      `DELETE FROM message_streams s
       WHERE s.user_id = $1 AND s.message_id = $2 AND s.conversation_id = $3
         AND s.written_at > now() - $4 * interval '1 second' AND ${liveConversationOf('s')}
       RETURNING s.message_id`,
      [ref.userId, ref.messageId, ref.conversationId, this.staleSeconds],
    );
    return ended.length === 0 ? null : this.takeText(ref.userId, ref.messageId);
  }

  /**
   * Ends a stream that has had no write for the window, unless another transaction holds it
   * (SKIP LOCKED: a delta in flight, a finish, another replica's sweep): its text, or null.
   */
  async endStale(userId: number, messageId: string): Promise<string | null> {
    const ended = await queryRows(
      this.transactions.tx,
      `DELETE FROM message_streams WHERE (user_id, message_id) IN (
         SELECT user_id, message_id FROM message_streams
         WHERE user_id = $1 AND message_id = $2 AND written_at <= now() - $3 * interval '1 second'
         FOR UPDATE SKIP LOCKED)
       RETURNING message_id`,
      [userId, messageId, this.staleSeconds],
    );
    return ended.length === 0 ? null : this.takeText(userId, messageId);
  }

  /** Streams with no write for the window, oldest first, of every user: the sweep's work. */
  async stale(limit: number): Promise<MessageRef[]> {
    const rows: Array<{ user_id: number; conversation_id: string; message_id: string }> =
      await this.transactions.tx.query(
        `SELECT user_id, conversation_id, message_id FROM message_streams
         WHERE written_at <= now() - $1 * interval '1 second'
         ORDER BY written_at LIMIT $2`,
        [this.staleSeconds, limit],
      );
    return rows.map((row) => ({
      userId: row.user_id,
      conversationId: row.conversation_id,
      messageId: row.message_id,
    }));
  }

  /** The text so far of the user's streaming messages, by id (absent: no longer streaming). */
  async read(userId: number, messageIds: string[]): Promise<Map<string, StreamedText>> {
    const rows: Array<{ message_id: string; text: string; stale: boolean }> =
      await this.transactions.tx.query(
        `SELECT s.message_id, s.written_at <= now() - $3 * interval '1 second' AS stale,
           COALESCE((SELECT string_agg(d.text, '' ORDER BY d.start_offset) FROM message_deltas d
                     WHERE d.user_id = s.user_id AND d.message_id = s.message_id), '') AS text
         FROM message_streams s
         WHERE s.user_id = $1 AND s.message_id = ANY($2::varchar[])`,
        [userId, messageIds, this.staleSeconds],
      );
    return new Map(rows.map((row) => [row.message_id, { text: row.text, stale: row.stale }]));
  }

  private async takeText(userId: number, messageId: string): Promise<string> {
    const [row] = await queryRows<{ text: string | null }>(
      this.transactions.tx,
      `WITH taken AS (
         DELETE FROM message_deltas WHERE user_id = $1 AND message_id = $2
         RETURNING start_offset, text)
       SELECT string_agg(text, '' ORDER BY start_offset) AS text FROM taken`,
      [userId, messageId],
    );
    return row?.text ?? '';
  }
}
