import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { MessageRole } from '../messages/message.entity';
import type { QueryWord } from './search-terms';

export interface SearchFilters {
  agentUsed?: string;
  role?: MessageRole;
  conversationId?: string;
  from?: Date;
  /** Exclusive upper bound. */
  until?: Date;
}

export interface SearchRequest {
  userId: number;
  words: QueryWord[];
  filters: SearchFilters;
  sort: 'relevance' | 'recent';
  limit: number;
  offset: number;
}

export interface SearchRow {
  id: string;
  conversation_id: string;
  seq: number;
  role: MessageRole;
  agent_used: string | null;
  timestamp: Date;
  content: string;
  score: number;
}

/** Counting stops here: beyond it the total is reported as a lower bound. */
export const COUNT_CAP = 1000;
/**
 * With more matches than the cap, relevance is ranked over this many of the newest: the walk that
 * finds them costs in proportion (measured: about 70 ms for 1,000 on a 100k-message user).
 */
export const RELEVANCE_WINDOW = 200;
/** Users with at most this many messages are searched by reading all of them: faster than the index. */
export const SMALL_USER_MESSAGES = 5000;

/**
 * `index`: the GIN index on (user_id, search_terms), for a heavy user's rarer words.
 * `walk`: the user's messages newest first on (user_id, timestamp), each checked against the
 * words, stopping as soon as enough are found: for small users, and for words with many matches.
 */
export type SearchPath = 'index' | 'walk';

export const PLANNER_SETTINGS: Record<SearchPath, string> = {
  // Only bitmap scans can use the GIN index.
  index: 'SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off',
  // Newest first on (user_id, timestamp), stopping early.
  walk: 'SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off',
};

/**
 * Per-user message search. Paths are chosen from real counts (the user's messages, then matches
 * capped at 1,001), never from planner estimates, which are far off for a heavy user's words.
 */
@Injectable()
export class SearchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Whether the user has at most SMALL_USER_MESSAGES messages: an index-only count that stops there. */
  async isSmallUser(userId: number): Promise<boolean> {
    const { sql, params } = smallUserStatement(userId);
    const [{ total }] = await this.dataSource.query(sql, params);
    return total <= SMALL_USER_MESSAGES;
  }

  async count(request: SearchRequest, path: SearchPath): Promise<number> {
    const [{ count }] = await this.run<{ count: number }>(path, countStatement(request));
    return count;
  }

  /** One page of hits; `matches` is the capped count. */
  async page(request: SearchRequest, matches: number, path: SearchPath): Promise<SearchRow[]> {
    return this.run(path, pageStatement(request, matches, path));
  }

  /**
   * Runs a statement on its path, whatever the planner estimates: its guesses for array
   * containment are the same for a word in every message and for a word in ten, and were seen
   * to pick a full-table scan for rare words and a read of all the user's rows for common ones.
   */
  private run<T>(path: SearchPath, { sql, params }: Statement): Promise<T[]> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(PLANNER_SETTINGS[path]);
      return manager.query(sql, params);
    });
  }

  async titles(
    userId: number,
    conversationIds: string[],
  ): Promise<Array<{ id: string; title: string; updated_at: Date }>> {
    if (conversationIds.length === 0) return [];
    return this.dataSource.query(
      `SELECT id, title, updated_at FROM conversations WHERE user_id = $1 AND id = ANY($2::varchar[])`,
      [userId, conversationIds],
    );
  }
}

export interface Statement {
  sql: string;
  params: unknown[];
}

/** The user's messages, counted no further than one past SMALL_USER_MESSAGES. */
export function smallUserStatement(userId: number): Statement {
  return {
    sql: `SELECT count(*)::int AS total FROM (SELECT 1 FROM messages WHERE user_id = $1 LIMIT ${SMALL_USER_MESSAGES + 1}) s`,
    params: [userId],
  };
}

/** How many messages match, counting no further than one past the cap. */
export function countStatement(request: SearchRequest): Statement {
  const where = new Where(request);
  const sql = `SELECT count(*)::int AS count FROM (
      SELECT 1 FROM messages m WHERE ${where.clauses()} LIMIT ${COUNT_CAP + 1}
    ) capped`;
  return { sql, params: where.params };
}

/** The page: all matches ranked when they are few, else the newest ones walked. */
export function pageStatement(
  request: SearchRequest,
  matches: number,
  path: SearchPath,
): Statement {
  const where = new Where(request);
  const score = where.score();
  const order =
    request.sort === 'recent'
      ? 'timestamp DESC, seq DESC, id DESC'
      : 'score DESC, timestamp DESC, seq DESC, id DESC';
  const columns = `m.id, m.conversation_id, m.seq, m.role, m.agent_used, m.timestamp, m.content, ${score} AS score`;
  // Few matches: all of them (at most the cap). Many: the newest, as many as the window or page needs.
  const walkLimit =
    matches <= COUNT_CAP ? COUNT_CAP : request.sort === 'relevance' ? RELEVANCE_WINDOW : 0;
  // MATERIALIZED fences the inner query: its path stays the one chosen here.
  const candidates =
    path === 'index'
      ? `SELECT ${columns} FROM messages m WHERE ${where.clauses()}`
      : `SELECT ${columns} FROM messages m WHERE ${where.clauses()}
         ORDER BY m.timestamp DESC, m.seq DESC LIMIT ${Math.max(walkLimit, request.offset + request.limit)}`;
  const sql = `WITH candidates AS MATERIALIZED (${candidates})
    SELECT * FROM candidates ORDER BY ${order} LIMIT ${request.limit} OFFSET ${request.offset}`;
  return { sql, params: where.params };
}

/** The WHERE clauses of one search, with their parameters: every value is bound, never inlined. */
class Where {
  readonly params: unknown[] = [];
  private readonly common: string[];
  private readonly request: SearchRequest;

  constructor(request: SearchRequest) {
    this.request = request;
    const { filters } = request;
    this.common = [`m.user_id = ${this.bind(request.userId)}`];
    if (filters.agentUsed !== undefined)
      this.common.push(`m.agent_used = ${this.bind(filters.agentUsed)}`);
    if (filters.role !== undefined) this.common.push(`m.role = ${this.bind(filters.role)}`);
    if (filters.conversationId !== undefined)
      this.common.push(`m.conversation_id = ${this.bind(filters.conversationId)}`);
    if (filters.from !== undefined) this.common.push(`m.timestamp >= ${this.bind(filters.from)}`);
    if (filters.until !== undefined) this.common.push(`m.timestamp < ${this.bind(filters.until)}`);
    // Deleted conversations are gone from search too.
    this.common.push(
      `EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id AND c.is_active = true)`,
    );
  }

  /**
   * The terms every match holds (answered by the GIN index, or checked per row on a walk), and a
   * substring check only for the words the terms cannot decide.
   */
  clauses(): string {
    const terms = [...new Set(this.request.words.flatMap((word) => word.terms))];
    const clauses = [...this.common];
    if (terms.length > 0) clauses.push(`m.search_terms @> ${this.bind(terms)}::text[]`);
    for (const word of this.request.words) if (!word.exact) clauses.push(this.matches(word));
    return clauses.join(' AND ');
  }

  /** Occurrences of the words, damped by the message's length. */
  score(): string {
    const occurrences = this.request.words.map((word) => {
      const text = this.bind(word.text);
      return `(length(lower(m.content)) - length(replace(lower(m.content), ${text}, ''))) / length(${text})::float8`;
    });
    return `round(((${occurrences.join(' + ')}) / (1 + ln(1 + length(m.content) / 100.0)))::numeric, 4)::float8`;
  }

  private matches(word: QueryWord): string {
    if (word.wholeWord) {
      // Only [a-z0-9] in a whole word: nothing to escape in the pattern.
      return `lower(m.content) ~ ${this.bind(`(^|[^a-z0-9])${word.text}($|[^a-z0-9])`)}`;
    }
    return `m.content ILIKE ${this.bind(`%${escapeLike(word.text)}%`)} ESCAPE '\\'`;
  }

  private bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** `%`, `_` and `\` taken literally in an ILIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
