import { Conversation } from './conversation.entity';
import {
  toConversationResponse,
  toConversationSummary,
  toExportedConversation,
  toTrashedSummary,
} from './conversation.mapper';

const conversation = Object.assign(new Conversation(), {
  id: 'conv_1',
  userId: 5,
  title: '수입 통관',
  createdAt: new Date('2026-12-01T01:02:03.004Z'),
  updatedAt: new Date('2026-12-01T02:00:00.000Z'),
  messageCount: 3,
  lastAgentUsed: 'regulation_agent',
  isActive: true,
  metadata: { channel: 'web' },
  isArchived: false,
  isPinned: true,
  tags: ['FTA', '관세'],
  deletedAt: null,
});

describe('conversation mappers', () => {
  it('writes the snake_case summary of the list, without metadata', () => {
    expect(toConversationSummary(conversation)).toEqual({
      id: 'conv_1',
      user_id: 5,
      title: '수입 통관',
      created_at: '2026-12-01T01:02:03.004Z',
      updated_at: '2026-12-01T02:00:00.000Z',
      message_count: 3,
      last_agent_used: 'regulation_agent',
      is_active: true,
      is_archived: false,
      is_pinned: true,
      tags: ['FTA', '관세'],
    });
  });

  it('adds deleted_at to trash summaries and exported conversations only', () => {
    const trashed = Object.assign(new Conversation(), conversation, {
      isActive: false,
      deletedAt: new Date('2026-12-02T00:00:00.000Z'),
    });
    expect(toTrashedSummary(trashed)).toMatchObject({
      is_active: false,
      deleted_at: '2026-12-02T00:00:00.000Z',
    });
    expect(toExportedConversation(trashed)).toMatchObject({
      metadata: { channel: 'web' },
      deleted_at: '2026-12-02T00:00:00.000Z',
    });
    expect(toExportedConversation(conversation).deleted_at).toBeNull();
    expect(toConversationResponse(trashed)).not.toHaveProperty('deleted_at');
  });

  it('adds metadata to the full answer, and reads the nullable seed columns as their defaults', () => {
    expect(toConversationResponse(conversation).metadata).toEqual({ channel: 'web' });
    const sparse = Object.assign(new Conversation(), conversation, {
      metadata: null,
      messageCount: null,
    });
    expect(toConversationResponse(sparse)).toMatchObject({ metadata: {}, message_count: 0 });
  });
});
