import { Message } from './message.entity';
import { toMessageResponse } from './message.mapper';

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
      searchTerms: ['답', '답변', '변'],
    });
    expect(toMessageResponse(message)).toEqual({
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
    });
  });

  it('reads the nullable seed columns as their defaults', () => {
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
    expect(toMessageResponse(message)).toMatchObject({
      routing_info: {},
      references: [],
      metadata: {},
    });
  });
});
