import { Injectable } from '@nestjs/common';
import { InjectTransactionHost } from '@nestjs-cls/transactional';
import type { MessageRole } from '../conversations/messages/message.entity';
import type { QueryWord } from '../conversations/messages/search-terms';
import { liveConversationOf } from '../conversations/conversation-scopes';
import type { Transactions } from '../database/transactions';
import type { PageStep, SearchPlan, SearchStep } from './search-plan';

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

/** Per-user message search: runs the statements of a plan (`search-plan.ts`), each on its path. */
@Injectable()
export class SearchRepository {
  constructor(@InjectTransactionHost() private readonly transactions: Transactions) {}

  /** Whether the user has fewer messages than the plan's small-user limit: an index-only count. */
  async isSmallUser(userId: number, plan: SearchPlan): Promise<boolean> {
    const { sql, params } = smallUserStatement(userId, plan);
    const [{ total }] = await this.transactions.tx.query(sql, params);
    return total < plan.smallUserLimit;
  }

  async count(request: SearchRequest, plan: SearchPlan, step: SearchStep): Promise<number> {
    const [{ count }] = await this.run<{ count: number }>(step, countStatement(request, plan));
    return count;
  }

  async page(request: SearchRequest, step: PageStep): Promise<SearchRow[]> {
    return this.run(step, pageStatement(request, step));
  }

  private run<T>(step: SearchStep, { sql, params }: Statement): Promise<T[]> {
    return this.transactions.withTransaction(async () => {
      await this.transactions.tx.query(step.plannerSettings);
      return this.transactions.tx.query(sql, params);
    });
  }
}

export interface Statement {
  sql: string;
  params: unknown[];
}

/** The user's messages, counted no further than the plan's small-user limit. */
export function smallUserStatement(userId: number, plan: SearchPlan): Statement {
  return {
    sql: `SELECT count(*)::int AS total FROM (SELECT 1 FROM messages WHERE user_id = $1 LIMIT ${plan.smallUserLimit}) s`,
    params: [userId],
  };
}

/** How many messages match, counting no further than the plan's count limit. */
export function countStatement(request: SearchRequest, plan: SearchPlan): Statement {
  const where = new Where(request);
  const sql = `SELECT count(*)::int AS count FROM (
      SELECT 1 FROM messages m WHERE ${where.clauses()} LIMIT ${plan.countLimit}
    ) capped`;
  return { sql, params: where.params };
}

/** The page: all matches ranked when they are few, else the newest ones walked. */
export function pageStatement(request: SearchRequest, step: PageStep): Statement {
  const where = new Where(request);
  const score = where.score();
  const order =
    request.sort === 'recent'
      ? 'timestamp DESC, seq DESC, id DESC'
      : 'score DESC, timestamp DESC, seq DESC, id DESC';
  const columns = `m.id, m.conversation_id, m.seq, m.role, m.agent_used, m.timestamp, m.content, ${score} AS score`;
  // MATERIALIZED fences the inner query: its path stays the one chosen here.
  const candidates =
    step.candidateLimit === null
      ? `SELECT ${columns} FROM messages m WHERE ${where.clauses()}`
      : `SELECT ${columns} FROM messages m WHERE ${where.clauses()}
         ORDER BY m.timestamp DESC, m.seq DESC LIMIT ${step.candidateLimit}`;
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
    this.common.push(liveConversationOf('m'));
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
