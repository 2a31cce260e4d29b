import { Injectable } from '@nestjs/common';
import type { MessageRole } from '../conversations/messages/message.entity';
import type { QueryWord } from '../conversations/messages/search-terms';
import { liveConversationOf } from '../conversations/conversation-scopes';
import { Transactions } from '../database/transactions';
import {
  SCORED_CHARACTERS,
  type CountStep,
  type Counted,
  type PageStep,
  type SearchPlan,
} from './search-plan';

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
  score: number;
  /** How many candidates the page was ranked from. */
  candidates: number;
  /** A window of the content around the first match, never the whole of a long message. */
  excerpt: string;
  /** Where the excerpt starts in the content (0-based), and the content's length. */
  excerpt_start: number;
  content_length: number;
}

/** Characters of content sent back per hit: room around the first match for the snippet. */
const EXCERPT_LEAD = 100;
const EXCERPT_LENGTH = 500;

/** Per-user message search: runs the statements of a plan (`search-plan.ts`), each on its path. */
@Injectable()
export class SearchRepository {
  constructor(private readonly transactions: Transactions) {}

  /** Whether the user has fewer messages than the plan's small-user limit: an index-only count. */
  async isSmallUser(userId: number, plan: SearchPlan): Promise<boolean> {
    const { sql, params } = smallUserStatement(userId, plan);
    const [{ total }] = await this.transactions.tx.query(sql, params);
    return total < plan.smallUserLimit;
  }

  /** The capped count, and whether the recheck bound left candidates unchecked. */
  count(request: SearchRequest, step: CountStep): Promise<Counted> {
    return this.transactions.withReadTransaction(async () => {
      await this.transactions.tx.query(step.plannerSettings);
      const [{ count: matches }] = await this.query<{ count: number }>(
        countStatement(request, step),
      );
      if (step.recheckLimit === null || matches >= step.matchLimit) return { matches, cut: false };
      const [{ count: candidates }] = await this.query<{ count: number }>(
        candidatesStatement(request, step.recheckLimit),
      );
      return { matches, cut: candidates >= step.recheckLimit };
    });
  }

  page(request: SearchRequest, step: PageStep): Promise<SearchRow[]> {
    return this.transactions.withReadTransaction(async () => {
      await this.transactions.tx.query(step.plannerSettings);
      return this.query<SearchRow>(pageStatement(request, step));
    });
  }

  private query<T>({ sql, params }: Statement): Promise<T[]> {
    return this.transactions.tx.query(sql, params);
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

/**
 * How many messages match, counting no further than the match limit, and checking the text of
 * no more candidates than the recheck limit.
 */
export function countStatement(request: SearchRequest, step: CountStep): Statement {
  const where = new Where(request);
  const candidates = `SELECT m.id, m.content FROM messages m WHERE ${where.indexClauses()}`;
  const sql =
    step.recheckLimit === null
      ? `SELECT count(*)::int AS count FROM (${candidates} LIMIT ${step.matchLimit}) capped`
      : `SELECT count(*)::int AS count FROM (
           SELECT 1 FROM (${candidates} LIMIT ${step.recheckLimit}) m ${where.lowered()}
           WHERE ${where.textChecks()}
           LIMIT ${step.matchLimit}
         ) capped`;
  return { sql, params: where.params };
}

/** The candidates a recheck would read, counted up to its limit: no message text is read. */
export function candidatesStatement(request: SearchRequest, limit: number): Statement {
  const where = new Where(request);
  return {
    sql: `SELECT count(*)::int AS count FROM (SELECT 1 FROM messages m WHERE ${where.indexClauses()} LIMIT ${limit}) c`,
    params: where.params,
  };
}

/**
 * The page: all matches ranked when they are few (index), else the newest ones walked, reading no
 * more than the walk's budget of messages. Only the page's hits are read again for an excerpt of
 * their content around the first match: never the whole of a long message.
 */
export function pageStatement(request: SearchRequest, step: PageStep): Statement {
  const where = new Where(request);
  const orderBy = (table: string): string =>
    (request.sort === 'recent' ? ['timestamp', 'seq', 'id'] : ['score', 'timestamp', 'seq', 'id'])
      .map((column) => `${table}${column} DESC`)
      .join(', ');
  const source =
    step.walkBudget === null
      ? `messages m ${where.lowered()} WHERE ${where.indexClauses()}`
      : `(SELECT * FROM messages m WHERE ${where.commonClauses()}
          ORDER BY m.timestamp DESC, m.seq DESC LIMIT ${step.walkBudget}) m ${where.lowered()}
         WHERE ${where.termClauses()}`;
  // MATERIALIZED fences the inner query: its path stays the one chosen here.
  const candidates = `SELECT m.id, m.conversation_id, m.seq, m.role, m.agent_used, m.timestamp,
      ${where.score()} AS score
    FROM ${source} AND ${where.textChecks()}
    ${step.candidateLimit === null ? '' : `ORDER BY m.timestamp DESC, m.seq DESC LIMIT ${step.candidateLimit}`}`;
  const sql = `WITH candidates AS MATERIALIZED (${candidates}),
    page AS (SELECT *, count(*) OVER ()::int AS candidates FROM candidates
             ORDER BY ${orderBy('')} LIMIT ${request.limit} OFFSET ${request.offset})
    SELECT page.*,
           substr(m.content, excerpt.start + 1, ${EXCERPT_LENGTH}) AS excerpt,
           excerpt.start AS excerpt_start,
           length(m.content) AS content_length
    FROM page JOIN messages m ON m.id = page.id AND m.user_id = ${where.owner} ${where.lowered()}
    CROSS JOIN LATERAL (SELECT greatest(0, ${where.firstMatch()} - 1 - ${EXCERPT_LEAD}) AS start) excerpt
    ORDER BY ${orderBy('page.')}`;
  return { sql, params: where.params };
}

/**
 * The content lower-cased once per row (`l.lc`), for the checks and positions of words that have
 * letter case: OFFSET 0 keeps the planner from pulling the subquery up and lower-casing again at
 * each use. Words without case (Hangul, digits, symbols) are found in the content as it is, which
 * costs a fifth as much on long texts.
 */
const LOWERED = 'CROSS JOIN LATERAL (SELECT lower(m.content) AS lc OFFSET 0) l';

/** The clauses of one search, with their parameters: every value is bound, never inlined. */
class Where {
  readonly params: unknown[] = [];
  /** The user's parameter. */
  readonly owner: string;
  private readonly common: string[];
  private readonly request: SearchRequest;
  private readonly wordParams = new Map<QueryWord, string>();

  constructor(request: SearchRequest) {
    this.request = request;
    const { filters } = request;
    this.owner = this.bind(request.userId);
    this.common = [`m.user_id = ${this.owner}`];
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

  /** The user, the filters and liveness. */
  commonClauses(): string {
    return this.common.join(' AND ');
  }

  /** The terms every match holds: answered by the GIN index, or checked per row on a walk. */
  termClauses(): string {
    const terms = [...new Set(this.request.words.flatMap((word) => word.terms))];
    return terms.length > 0 ? `m.search_terms @> ${this.bind(terms)}::text[]` : 'true';
  }

  /** The lowered content, joined in when some word has letter case. */
  lowered(): string {
    return this.request.words.some(hasCase) ? LOWERED : '';
  }

  /** What the index can answer: everything but the text checks. */
  indexClauses(): string {
    return `${this.commonClauses()} AND ${this.termClauses()}`;
  }

  /** A check of the text for the words the terms cannot decide; `true` when there are none. */
  textChecks(): string {
    const checks = this.request.words
      .filter((word) => !word.exact)
      .map((word) => this.matches(word));
    return checks.length > 0 ? checks.join(' AND ') : 'true';
  }

  /**
   * Occurrences of the words in the first SCORED_CHARACTERS of the text, damped by the message's
   * length: the cost of ranking stays bounded however long the messages are.
   */
  score(): string {
    const prefix = `left(m.content, ${SCORED_CHARACTERS})`;
    const scored = this.request.words.some(hasCase) ? `lower(${prefix})` : prefix;
    const occurrences = this.request.words.map((word) => {
      const text = this.word(word);
      return `(length(${scored}) - length(replace(${scored}, ${text}, ''))) / length(${text})::float8`;
    });
    return `round(((${occurrences.join(' + ')}) / (1 + ln(1 + length(m.content) / 100.0)))::numeric, 4)::float8`;
  }

  /** The 1-based position of the earliest word in the lowered text (1 when none is found). */
  firstMatch(): string {
    const positions = this.request.words.map((word) =>
      word.wholeWord
        ? `NULLIF(regexp_instr(${textOf(word)}, ${this.wholeWordPattern(word)}), 0)`
        : `NULLIF(strpos(${textOf(word)}, ${this.word(word)}), 0)`,
    );
    return `COALESCE(LEAST(${positions.join(', ')}), 1)`;
  }

  /** A word checked in the text, lowered when it has case (`lowered()` in the statement's FROM). */
  private matches(word: QueryWord): string {
    if (word.wholeWord) return `${textOf(word)} ~ ${this.wholeWordPattern(word)}`;
    // As ILIKE does, but one scan: the word is bound as data, nothing in it is a pattern.
    return `strpos(${textOf(word)}, ${this.word(word)}) > 0`;
  }

  /** A whole word's pattern: only [a-z0-9] in it, nothing to escape. */
  private wholeWordPattern(word: QueryWord): string {
    return this.bind(`(^|[^a-z0-9])${word.text}($|[^a-z0-9])`);
  }

  /** The word's text as a parameter, lower-cased by the database as the content is. */
  private word(word: QueryWord): string {
    let param = this.wordParams.get(word);
    if (!param) {
      param = hasCase(word) ? `lower(${this.bind(word.text)})` : this.bind(word.text);
      this.wordParams.set(word, param);
    }
    return param;
  }

  private bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** Whether a word has letters with case (Latin and the like), which the comparison must fold. */
function hasCase(word: QueryWord): boolean {
  return word.text.toUpperCase() !== word.text;
}

/** The text a word is looked for in: the lowered content when the word has case. */
function textOf(word: QueryWord): string {
  return hasCase(word) ? 'l.lc' : 'm.content';
}
