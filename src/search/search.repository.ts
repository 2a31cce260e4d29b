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
/** With more matches than the cap, relevance is ranked over this many of the newest. */
export const RELEVANCE_WINDOW = 1000;

/**
 * Per-user message search. The plan is chosen from a real (capped) count, not from planner
 * estimates: up to the cap, the matches come through the GIN index on (user_id, search_terms)
 * and are ranked in full; above it, the user's newest messages are walked on (user_id, timestamp)
 * with substring checks only, which stops as soon as the page (or the relevance window) is full.
 */
@Injectable()
export class SearchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async count(request: SearchRequest): Promise<number> {
    const { sql, params } = countStatement(request);
    const [{ count }] = await this.dataSource.query(sql, params);
    return count;
  }

  /** One page of hits; `matches` is the capped count, which decides the plan. */
  async page(request: SearchRequest, matches: number): Promise<SearchRow[]> {
    const { sql, params } = pageStatement(request, matches);
    return this.dataSource.query(sql, params);
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

/** How many messages match, counting no further than one past the cap. */
export function countStatement(request: SearchRequest): Statement {
  const where = new Where(request);
  const sql = `SELECT count(*)::int AS count FROM (
      SELECT 1 FROM messages m WHERE ${where.indexed()} LIMIT ${COUNT_CAP + 1}
    ) capped`;
  return { sql, params: where.params };
}

/** The page, through the terms index up to the cap, else by walking the newest messages. */
export function pageStatement(request: SearchRequest, matches: number): Statement {
  const where = new Where(request);
  const score = where.score();
  const order =
    request.sort === 'recent' ? 'timestamp DESC, seq DESC, id DESC' : 'score DESC, timestamp DESC, seq DESC, id DESC';
  const columns = `m.id, m.conversation_id, m.seq, m.role, m.agent_used, m.timestamp, m.content, ${score} AS score`;
  // MATERIALIZED fences each inner query, so the planner cannot trade the chosen path for its own.
  const candidates =
    matches <= COUNT_CAP
      ? `SELECT ${columns} FROM messages m WHERE ${where.indexed()}`
      : `SELECT ${columns} FROM messages m WHERE ${where.walked()}
         ORDER BY m.timestamp DESC, m.seq DESC, m.id DESC
         LIMIT ${request.sort === 'recent' ? request.offset + request.limit : RELEVANCE_WINDOW}`;
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

  /** Through the terms index, with a substring check only where the terms cannot decide. */
  indexed(): string {
    const terms = [...new Set(this.request.words.flatMap((word) => word.terms))];
    const clauses = [...this.common];
    if (terms.length > 0) clauses.push(`m.search_terms @> ${this.bind(terms)}::text[]`);
    for (const word of this.request.words) if (!word.exact) clauses.push(this.matches(word));
    return clauses.join(' AND ');
  }

  /** Substring checks alone: the walk must not tempt the planner into the terms index. */
  walked(): string {
    return [...this.common, ...this.request.words.map((word) => this.matches(word))].join(' AND ');
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
