import { decodeConversationCursor, encodeConversationCursor } from './conversation-cursor';
import { encodeCursor } from '../common/pagination';

describe('conversation cursors', () => {
  it('carry the exact microsecond position and the id', () => {
    const position = { key: 'updated_at' as const, micros: '1795746373500123', id: 'conv_0195ab' };
    expect(decodeConversationCursor(encodeConversationCursor(position), 'updated_at')).toEqual(
      position,
    );
    const trash = { key: 'deleted_at' as const, micros: '1795746373500999', id: 'conv_0195ac' };
    expect(decodeConversationCursor(encodeConversationCursor(trash), 'deleted_at')).toEqual(trash);
  });

  it('still read the cursors issued before the trash existed', () => {
    expect(decodeConversationCursor(encodeCursor({ u: '17', i: 'conv_1' }), 'updated_at')).toEqual({
      key: 'updated_at',
      micros: '17',
      id: 'conv_1',
    });
  });

  it('refuse a trash cursor on the live list and the other way round', () => {
    const trash = encodeConversationCursor({ key: 'deleted_at', micros: '1', id: 'conv_1' });
    const live = encodeConversationCursor({ key: 'updated_at', micros: '1', id: 'conv_1' });
    expect(() => decodeConversationCursor(trash, 'updated_at')).toThrow(
      'cursor is not a cursor this service issued',
    );
    expect(() => decodeConversationCursor(live, 'deleted_at')).toThrow(
      'cursor is not a cursor this service issued',
    );
  });

  it('refuse a position that is not a microsecond count or an id that is too long', () => {
    for (const forged of [
      encodeCursor({ u: '12.5', i: 'conv_1' }),
      encodeCursor({ u: 12, i: 'conv_1' }),
      encodeCursor({ u: '1'.repeat(21), i: 'conv_1' }),
      encodeCursor({ u: '1', i: 'x'.repeat(51) }),
    ]) {
      expect(() => decodeConversationCursor(forged, 'updated_at')).toThrow(
        'cursor is not a cursor this service issued',
      );
    }
  });
});
