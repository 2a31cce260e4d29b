import { decodeConversationCursor, encodeConversationCursor } from './conversation-cursor';
import { encodeCursor } from '../common/pagination';

describe('conversation cursors', () => {
  it('carry the exact microsecond position and the id', () => {
    const position = { updatedAtMicros: '1795746373500123', id: 'conv_0195ab' };
    expect(decodeConversationCursor(encodeConversationCursor(position))).toEqual(position);
  });

  it('refuse a position that is not a microsecond count or an id that is too long', () => {
    for (const forged of [
      encodeCursor({ u: '12.5', i: 'conv_1' }),
      encodeCursor({ u: 12, i: 'conv_1' }),
      encodeCursor({ u: '1'.repeat(21), i: 'conv_1' }),
      encodeCursor({ u: '1', i: 'x'.repeat(51) }),
    ]) {
      expect(() => decodeConversationCursor(forged)).toThrow(
        'cursor is not a cursor this service issued',
      );
    }
  });
});
