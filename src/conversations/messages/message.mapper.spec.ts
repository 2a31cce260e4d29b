import { MessageFeedback } from './feedback/message-feedback.entity';
import { Message } from './message.entity';
import { ONLY_CHILD, toMessageResponse } from './message.mapper';

describe('toMessageResponse', () => {
  it('returns routing_info and references exactly as stored, and the contract fields only', () => {
    const routing = { selected_agent: 'regulation_agent', complexity: 0.7, extra: { kept: true } };
    const references = [{ source: 'law', title: '관세법', similarity: 0.9, metadata: {} }];
    const message = Object.assign(new Message(), {
      id: 'msg_1',
      conversationId: 'conv_1',
      userId: 5,
      seq: 2,
      role: 'assistant',
      status: 'complete',
      content: '답변',
      agentUsed: 'regulation_agent',
      routingInfo: routing,
      references,
      timestamp: new Date('2026-12-01T00:00:00Z'),
      metadata: { a: 1 },
      usage: { model: 'm', prompt_tokens: 0, latency_ms: 1200 },
      feedback: Object.assign(new MessageFeedback(), {
        messageId: 'msg_1',
        userId: 5,
        conversationId: 'conv_1',
        rating: 'down',
        comment: null,
        reasons: ['outdated'],
        createdAt: new Date('2026-12-01T00:00:01Z'),
        updatedAt: new Date('2026-12-01T00:00:02Z'),
      }),
      searchTerms: ['답', '답변', '변'],
      parentId: 'msg_0',
      depth: 2,
      onActiveBranch: true,
    });
    expect(toMessageResponse(message, { count: 3, index: 1 })).toEqual({
      id: 'msg_1',
      conversation_id: 'conv_1',
      seq: 2,
      role: 'assistant',
      status: 'complete',
      content: '답변',
      agent_used: 'regulation_agent',
      routing_info: routing,
      references,
      timestamp: '2026-12-01T00:00:00.000Z',
      metadata: { a: 1 },
      parent_id: 'msg_0',
      sibling_count: 3,
      sibling_index: 1,
      usage: { model: 'm', prompt_tokens: 0, latency_ms: 1200 },
      feedback: {
        rating: 'down',
        comment: null,
        reasons: ['outdated'],
        updated_at: '2026-12-01T00:00:02.000Z',
      },
    });
  });

  it('reads the nullable seed columns as their defaults, and no usage or feedback as null', () => {
    const message = Object.assign(new Message(), {
      id: 'msg_2',
      conversationId: 'conv_1',
      seq: 1,
      role: 'user',
      content: 'q',
      agentUsed: null,
      routingInfo: null,
      references: null,
      metadata: null,
      timestamp: new Date(0),
    });
    expect(toMessageResponse(message, ONLY_CHILD)).toMatchObject({
      routing_info: {},
      references: [],
      metadata: {},
      parent_id: null,
      sibling_count: 1,
      sibling_index: 0,
      usage: null,
      feedback: null,
    });
  });
});
