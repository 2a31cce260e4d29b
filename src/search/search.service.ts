import { Injectable } from '@nestjs/common';
import type { ConversationTitle } from '../conversations/conversations.repository';
import { ConversationsService } from '../conversations/conversations.service';
import type { SearchMessagesDto } from './dto/search-messages.dto';
import { SearchAdmission } from './search-admission';
import { planSearch } from './search-plan';
import { prepareQuery } from './search-query';
import {
  SearchRepository,
  type SearchFilters,
  type SearchRequest,
  type SearchRow,
} from './search.repository';
import type { SearchConversation, SearchHit, SearchResponse } from './search.responses';
import { buildSnippet, type Excerpt } from './snippet';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

@Injectable()
export class SearchService {
  constructor(
    private readonly search: SearchRepository,
    private readonly conversations: ConversationsService,
    private readonly admission: SearchAdmission,
  ) {}

  async searchMessages(userId: number, input: SearchMessagesDto): Promise<SearchResponse> {
    const words = prepareQuery(input.query);
    return this.admission.run(userId, () =>
      this.run(input, {
        userId,
        words,
        filters: toFilters(input),
        sort: input.sort,
        limit: input.limit,
        offset: input.offset,
      }),
    );
  }

  private async run(input: SearchMessagesDto, request: SearchRequest): Promise<SearchResponse> {
    const { userId, words } = request;
    const plan = planSearch({ ...request, recheck: words.some((word) => !word.exact) });
    const countStep = plan.count(await this.search.isSmallUser(userId, plan));
    const counted = await this.search.count(request, countStep);
    const pageStep = plan.page(countStep, counted);
    const rows = pageStep ? await this.search.page(request, pageStep) : [];
    const titles = await this.conversations.titles(userId, [
      ...new Set(rows.map((row) => row.conversation_id)),
    ]);
    const byId = new Map(titles.map((conversation) => [conversation.id, conversation]));
    const hits: SearchHit[] = rows.map((row) => ({
      id: row.id,
      conversation_id: row.conversation_id,
      conversation_title: byId.get(row.conversation_id)?.title ?? '',
      seq: row.seq,
      role: row.role,
      agent_used: row.agent_used,
      timestamp: row.timestamp.toISOString(),
      ...buildSnippet(excerptOf(row), words),
      score: row.score,
    }));
    return {
      search_query: input.query,
      ...plan.outcome(counted, pageStep, rows[0]?.candidates ?? 0),
      messages: hits,
      conversations: conversationsOf(hits, byId),
    };
  }
}

/** The row's excerpt, and whether the content goes on before and after it (lengths in code points). */
function excerptOf(row: SearchRow): Excerpt {
  const excerptLength = [...row.excerpt].length;
  return {
    text: row.excerpt,
    cutBefore: row.excerpt_start > 0,
    cutAfter: row.excerpt_start + excerptLength < row.content_length,
  };
}

function toFilters(input: SearchMessagesDto): SearchFilters {
  return {
    agentUsed: input.agent_type,
    role: input.role,
    conversationId: input.conversation_id,
    from: input.start_date ? new Date(input.start_date) : undefined,
    until: input.end_date ? endOf(input.end_date) : undefined,
  };
}

/** The exclusive upper bound of an inclusive end: a whole day for a date, else just past it. */
function endOf(end: string): Date {
  const time = new Date(end).getTime();
  return new Date(DATE_ONLY.test(end) ? time + DAY_MS : time + 1);
}

function conversationsOf(
  hits: SearchHit[],
  byId: Map<string, ConversationTitle>,
): SearchConversation[] {
  const counts = new Map<string, number>();
  for (const hit of hits)
    counts.set(hit.conversation_id, (counts.get(hit.conversation_id) ?? 0) + 1);
  return [...counts].map(([id, matchCount]) => ({
    id,
    title: byId.get(id)?.title ?? '',
    updated_at: byId.get(id)?.updated_at.toISOString() ?? '',
    match_count: matchCount,
  }));
}
