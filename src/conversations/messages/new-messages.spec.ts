import type { CreateMessageDto } from './dto/create-message.dto';
import { MessageUsageDto } from './dto/message-usage.dto';
import { answersOf, buildMessages, lastAgentOf } from './new-messages';

const message = (fields: Partial<CreateMessageDto>): CreateMessageDto =>
  ({ role: 'user', content: 'x', ...fields }) as CreateMessageDto;

describe('lastAgentOf', () => {
  it('is the agent of the newest assistant message that names one', () => {
    expect(
      lastAgentOf([
        message({ role: 'assistant', agent_used: 'regulation_agent' }),
        message({ role: 'assistant', agent_used: 'consultation_agent' }),
        message({ role: 'assistant' }),
        message({ role: 'user' }),
      ]),
    ).toBe('consultation_agent');
  });

  it('ignores agents named on user and system messages, and is null without any', () => {
    expect(lastAgentOf([message({ role: 'system', agent_used: 'conversation_agent' })])).toBeNull();
    expect(lastAgentOf([message({ agent_used: 'conversation_agent' })])).toBeNull();
    expect(lastAgentOf([])).toBeNull();
  });
});

describe('buildMessages', () => {
  it('numbers an exchange from firstSeq, gives it one timestamp and the owner, and fills defaults', () => {
    const timestamp = new Date('2026-12-01T00:00:00Z');
    const rows = buildMessages(
      [
        message({ content: '관세율 조회' }),
        message({
          role: 'assistant',
          content: 'HS 8471',
          agent_used: 'regulation_agent',
          references: [{ source: 'a' }],
        }),
      ],
      { conversationId: 'conv_1', userId: 9, firstSeq: 4, timestamp },
    );
    expect(rows.map((row) => row.seq)).toEqual([4, 5]);
    expect(new Set(rows.map((row) => row.id)).size).toBe(2);
    expect(rows[0].id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(rows[0]).toMatchObject({
      conversationId: 'conv_1',
      userId: 9,
      timestamp,
      agentUsed: null,
      routingInfo: {},
      references: [],
      metadata: {},
      usage: null,
      searchTerms: ['관', '관세', '세', '세율', '율', '조', '조회', '회'],
    });
    expect(rows[1]).toMatchObject({
      agentUsed: 'regulation_agent',
      references: [{ source: 'a' }],
      searchTerms: ['hs', '8471'],
    });
  });
});

describe('usage and answers', () => {
  const target = { conversationId: 'conv_1', userId: 9, firstSeq: 1, timestamp: new Date(0) };

  it('stores usage with exactly the fields sent (a validated DTO holds the others as undefined)', () => {
    const usage = Object.assign(new MessageUsageDto(), { model: 'm', latency_ms: 0 });
    const [row] = buildMessages([message({ role: 'assistant', usage })], target);
    expect(Object.keys(row.usage!)).toEqual(['model', 'latency_ms']);
    expect(row.usage).toEqual({ model: 'm', latency_ms: 0 });
  });

  it("hands the assistant messages, with their agent and usage, to the agents' figures", () => {
    const rows = buildMessages(
      [
        message({ content: 'q' }),
        message({
          role: 'assistant',
          agent_used: 'regulation_agent',
          usage: { prompt_tokens: 7, completion_tokens: 3, latency_ms: 900 },
        }),
        message({ role: 'system' }),
      ],
      target,
    );
    expect(answersOf(rows)).toEqual([
      {
        agent: 'regulation_agent',
        userId: 9,
        timestamp: new Date(0),
        promptTokens: 7,
        completionTokens: 3,
        latencyMs: 900,
      },
    ]);
  });
});
