import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { CreateConversationDto } from '../conversations/dto/create-conversation.dto';
import { ListConversationsQueryDto } from '../conversations/dto/list-conversations-query.dto';
import { BulkActionDto } from '../conversations/dto/bulk-action.dto';
import { UpdateConversationDto } from '../conversations/dto/update-conversation.dto';
import { ErasureRequestDto } from '../me/dto/erasure-request.dto';
import { AppendMessagesDto } from '../conversations/messages/dto/append-messages.dto';
import { CreateMessageDto } from '../conversations/messages/dto/create-message.dto';
import { ListMessagesQueryDto } from '../conversations/messages/dto/list-messages-query.dto';
import { PutFeedbackDto } from '../conversations/messages/feedback/dto/put-feedback.dto';
import { SearchMessagesDto } from '../search/dto/search-messages.dto';
import { INT32_MAX, LIMITS } from './limits';

/** The fields a body or query gets refused for, as the app's ValidationPipe would. */
function refused(dto: new () => object, plain: Record<string, unknown>): string[] {
  const errors = validateSync(plainToInstance(dto, plain), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return errors.map((error) => error.property);
}

/** The refused fields with their paths (`usage.prompt_tokens`), nested ones included. */
function refusedPaths(dto: new () => object, plain: Record<string, unknown>): string[] {
  const paths = (errors: ValidationError[], prefix: string): string[] =>
    errors.flatMap((error) =>
      error.children && error.children.length > 0
        ? paths(error.children, `${prefix}${error.property}.`)
        : [`${prefix}${error.property}`],
    );
  return paths(
    validateSync(plainToInstance(dto, plain), { whitelist: true, forbidNonWhitelisted: true }),
    '',
  );
}

const message = (fields: Record<string, unknown>): Record<string, unknown> => ({
  role: 'user',
  content: 'x',
  ...fields,
});
const jsonOfBytes = (bytes: number): Record<string, string> => ({ k: 'v'.repeat(bytes - 8) });

describe('DTO limits at their edges', () => {
  it('content: 1 to 32,000 JavaScript characters', () => {
    expect(
      refused(CreateMessageDto, message({ content: 'a'.repeat(LIMITS.contentLength) })),
    ).toEqual([]);
    expect(
      refused(CreateMessageDto, message({ content: 'a'.repeat(LIMITS.contentLength + 1) })),
    ).toEqual(['content']);
    expect(refused(CreateMessageDto, message({ content: '' }))).toEqual(['content']);
    // An emoji is two JavaScript characters.
    expect(refused(CreateMessageDto, message({ content: '😀'.repeat(16_000) }))).toEqual([]);
    expect(refused(CreateMessageDto, message({ content: `${'😀'.repeat(16_000)}a` }))).toEqual([
      'content',
    ]);
  });

  it('agent_used up to 50, references up to 50 objects, routing_info and metadata up to 16 KB', () => {
    expect(refused(CreateMessageDto, message({ agent_used: 'a'.repeat(50) }))).toEqual([]);
    expect(refused(CreateMessageDto, message({ agent_used: 'a'.repeat(51) }))).toEqual([
      'agent_used',
    ]);
    const reference = { source: 's' };
    expect(refused(CreateMessageDto, message({ references: Array(50).fill(reference) }))).toEqual(
      [],
    );
    expect(refused(CreateMessageDto, message({ references: Array(51).fill(reference) }))).toEqual([
      'references',
    ]);
    expect(
      refused(CreateMessageDto, message({ routing_info: jsonOfBytes(LIMITS.jsonObjectBytes) })),
    ).toEqual([]);
    expect(
      refused(CreateMessageDto, message({ metadata: jsonOfBytes(LIMITS.jsonObjectBytes + 1) })),
    ).toEqual(['metadata']);
  });

  it('an exchange holds 1 to 10 messages', () => {
    expect(refused(AppendMessagesDto, { messages: Array(10).fill(message({})) })).toEqual([]);
    expect(refused(AppendMessagesDto, { messages: Array(11).fill(message({})) })).toEqual([
      'messages',
    ]);
    expect(refused(AppendMessagesDto, { messages: [] })).toEqual(['messages']);
  });

  it('title: 1 to 200 characters, on create and on update', () => {
    expect(refused(CreateConversationDto, { title: 't'.repeat(LIMITS.titleLength) })).toEqual([]);
    expect(refused(CreateConversationDto, { title: 't'.repeat(LIMITS.titleLength + 1) })).toEqual([
      'title',
    ]);
    expect(refused(UpdateConversationDto, { title: '' })).toEqual(['title']);
  });

  it('page sizes: conversations 1 to 100, messages 1 to 200, as digits only', () => {
    expect(refused(ListConversationsQueryDto, { limit: '100' })).toEqual([]);
    expect(refused(ListConversationsQueryDto, { limit: '101' })).toEqual(['limit']);
    expect(refused(ListConversationsQueryDto, { limit: '0' })).toEqual(['limit']);
    expect(refused(ListMessagesQueryDto, { limit: '200' })).toEqual([]);
    expect(refused(ListMessagesQueryDto, { limit: '201' })).toEqual(['limit']);
    expect(refused(ListMessagesQueryDto, { limit: '1.5' })).toEqual(['limit']);
    expect(refused(ListMessagesQueryDto, { page: String(LIMITS.maxPage + 1) })).toEqual(['page']);
  });

  it('seq windows: before_seq 1 to INT32_MAX, after_seq 0 to INT32_MAX', () => {
    expect(refused(ListMessagesQueryDto, { before_seq: String(INT32_MAX) })).toEqual([]);
    expect(refused(ListMessagesQueryDto, { before_seq: String(INT32_MAX + 1) })).toEqual([
      'before_seq',
    ]);
    expect(refused(ListMessagesQueryDto, { before_seq: '0' })).toEqual(['before_seq']);
    expect(refused(ListMessagesQueryDto, { after_seq: '0' })).toEqual([]);
  });

  it('search: query 1 to 200 characters with something besides spaces, limit 1 to 100, offset 0 to 10,000', () => {
    expect(refused(SearchMessagesDto, { query: 'q'.repeat(LIMITS.queryLength) })).toEqual([]);
    expect(refused(SearchMessagesDto, { query: 'q'.repeat(LIMITS.queryLength + 1) })).toEqual([
      'query',
    ]);
    expect(refused(SearchMessagesDto, { query: '   ' })).toEqual(['query']);
    expect(refused(SearchMessagesDto, { query: 'q', limit: 100, offset: 10_000 })).toEqual([]);
    expect(refused(SearchMessagesDto, { query: 'q', limit: 101 })).toEqual(['limit']);
    expect(refused(SearchMessagesDto, { query: 'q', offset: 10_001 })).toEqual(['offset']);
  });

  it('usage: model 1 to 100 characters, counts integers 0 to INT32_MAX, on assistant messages only', () => {
    const answer = (usage: unknown): Record<string, unknown> =>
      message({ role: 'assistant', usage });
    expect(
      refusedPaths(
        CreateMessageDto,
        answer({
          model: 'm'.repeat(LIMITS.usageModelLength),
          prompt_tokens: 0,
          completion_tokens: INT32_MAX,
          latency_ms: 0,
        }),
      ),
    ).toEqual([]);
    expect(refusedPaths(CreateMessageDto, answer({}))).toEqual([]);
    expect(refusedPaths(CreateMessageDto, answer(null))).toEqual([]);
    expect(
      refusedPaths(CreateMessageDto, answer({ model: 'm'.repeat(LIMITS.usageModelLength + 1) })),
    ).toEqual(['usage.model']);
    expect(refusedPaths(CreateMessageDto, answer({ model: '' }))).toEqual(['usage.model']);
    for (const bad of [-1, INT32_MAX + 1, 1.5, '5', null, true]) {
      expect(refusedPaths(CreateMessageDto, answer({ prompt_tokens: bad }))).toEqual([
        'usage.prompt_tokens',
      ]);
      expect(refusedPaths(CreateMessageDto, answer({ completion_tokens: bad }))).toEqual([
        'usage.completion_tokens',
      ]);
      expect(refusedPaths(CreateMessageDto, answer({ latency_ms: bad }))).toEqual([
        'usage.latency_ms',
      ]);
    }
    expect(refusedPaths(CreateMessageDto, answer({ cost_usd: 1 }))).toEqual(['usage.cost_usd']);
    expect(refused(CreateMessageDto, answer([1]))).toEqual(['usage']);
    expect(refused(CreateMessageDto, answer('gpt'))).toEqual(['usage']);
    expect(refusedPaths(CreateMessageDto, message({ usage: { prompt_tokens: 1 } }))).toEqual([
      'usage',
    ]);
    expect(
      refusedPaths(AppendMessagesDto, {
        messages: [message({}), message({ role: 'system', usage: {} })],
      }),
    ).toEqual(['messages.1.usage']);
  });

  it('feedback: rating up or down, comment up to 2,000 characters, up to 10 reasons of 1 to 50', () => {
    const full = {
      rating: 'down',
      comment: 'c'.repeat(LIMITS.feedbackCommentLength),
      reasons: Array(LIMITS.feedbackReasons).fill('r'.repeat(LIMITS.feedbackReasonLength)),
    };
    expect(refused(PutFeedbackDto, full)).toEqual([]);
    expect(refused(PutFeedbackDto, { rating: 'up', comment: '', reasons: [] })).toEqual([]);
    expect(refused(PutFeedbackDto, { rating: 'up', comment: null, reasons: null })).toEqual([]);
    expect(refused(PutFeedbackDto, { rating: 'meh' })).toEqual(['rating']);
    expect(refused(PutFeedbackDto, {})).toEqual(['rating']);
    expect(refused(PutFeedbackDto, { ...full, comment: `${full.comment}c` })).toEqual(['comment']);
    expect(refused(PutFeedbackDto, { ...full, reasons: [...full.reasons, 'r'] })).toEqual([
      'reasons',
    ]);
    expect(refused(PutFeedbackDto, { rating: 'up', reasons: [''] })).toEqual(['reasons']);
    expect(refused(PutFeedbackDto, { rating: 'up', reasons: ['r'.repeat(51)] })).toEqual([
      'reasons',
    ]);
    expect(refused(PutFeedbackDto, { rating: 'up', reasons: [3] })).toEqual(['reasons']);
    expect(refused(PutFeedbackDto, { rating: 'up', reasons: 'inaccurate' })).toEqual(['reasons']);
    expect(refused(PutFeedbackDto, { rating: 'up', score: 5 })).toEqual(['score']);
  });

  it('unknown fields are refused by name', () => {
    expect(refused(CreateConversationDto, { message_count: 5 })).toEqual(['message_count']);
  });

  it('tags: 0 to 20, each 1 to 50 characters after trimming; bulk ids: 1 to 100 distinct', () => {
    const tags = (count: number, length = 1): string[] =>
      Array.from({ length: count }, (_, i) => `${i}`.padEnd(length, 't'));
    expect(refused(UpdateConversationDto, { tags: tags(20, 50) })).toEqual([]);
    expect(refused(UpdateConversationDto, { tags: [] })).toEqual([]);
    expect(refused(UpdateConversationDto, { tags: tags(21) })).toEqual(['tags']);
    expect(refused(UpdateConversationDto, { tags: tags(1, 51) })).toEqual(['tags']);
    expect(refused(ListConversationsQueryDto, { tag: 'x'.repeat(50) })).toEqual([]);
    expect(refused(ListConversationsQueryDto, { tag: 'x'.repeat(51) })).toEqual(['tag']);
    const ids = (count: number): string[] => Array.from({ length: count }, (_, i) => `conv_${i}`);
    expect(refused(BulkActionDto, { action: 'pin', ids: ids(100) })).toEqual([]);
    expect(refused(BulkActionDto, { action: 'pin', ids: ids(101) })).toEqual(['ids']);
    expect(refused(BulkActionDto, { action: 'pin', ids: [] })).toEqual(['ids']);
    expect(refused(BulkActionDto, { action: 'pin', ids: ['a', 'a'] })).toEqual(['ids']);
  });

  it('list filters and confirm: booleans as true or false only', () => {
    expect(
      refused(ListConversationsQueryDto, { archived: 'true', pinned: 'false', trashed: 'true' }),
    ).toEqual([]);
    expect(refused(ListConversationsQueryDto, { archived: 'yes' })).toEqual(['archived']);
    expect(refused(ErasureRequestDto, { confirm: true })).toEqual([]);
    expect(refused(ErasureRequestDto, { confirm: 'true' })).toEqual(['confirm']);
    expect(refused(ErasureRequestDto, {})).toEqual(['confirm']);
  });
});
