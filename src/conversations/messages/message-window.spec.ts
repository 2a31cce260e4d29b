import { decodeCursor, encodeCursor } from '../../common/pagination';
import type { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { cutPage, toWindow } from './message-window';

const query = (fields: Partial<ListMessagesQueryDto>): ListMessagesQueryDto =>
  ({ limit: 3, ...fields }) as ListMessagesQueryDto;
const rows = (...seqs: number[]): Array<{ seq: number }> => seqs.map((seq) => ({ seq }));
const cursorOf = (cursor: string | null): unknown =>
  cursor === null ? null : decodeCursor(cursor, (value) => value);

describe('message windows', () => {
  it('maps each way of asking for a page to its window', () => {
    expect(toWindow(query({}))).toEqual({ kind: 'offset', limit: 3, offset: 0 });
    expect(toWindow(query({ page: 2 }))).toEqual({ kind: 'offset', limit: 3, offset: 3 });
    expect(toWindow(query({ after_seq: 7 }))).toEqual({ kind: 'after', limit: 3, afterSeq: 7 });
    expect(toWindow(query({ before_seq: 7 }))).toEqual({ kind: 'before', limit: 3, beforeSeq: 7 });
    expect(toWindow(query({ cursor: encodeCursor({ d: 'before', s: 9 }) }))).toEqual({
      kind: 'before',
      limit: 3,
      beforeSeq: 9,
    });
  });

  it('refuses combined choices and forged cursors', () => {
    expect(() => toWindow(query({ before_seq: 1, after_seq: 2 }))).toThrow(
      'before_seq and after_seq cannot be combined',
    );
    for (const forged of [
      { d: 'sideways', s: 1 },
      { d: 'after', s: -1 },
      { d: 'after', s: 1.5 },
    ]) {
      expect(() => toWindow(query({ cursor: encodeCursor(forged) }))).toThrow(
        'cursor is not a cursor this service issued',
      );
    }
  });

  it('cuts the extra row of a forward page and continues after its newest message', () => {
    const window = toWindow(query({ after_seq: 0 }));
    const cut = cutPage(window, rows(1, 2, 3, 4));
    expect(cut.page).toEqual(rows(1, 2, 3));
    expect(cut.hasNext).toBe(true);
    expect(cursorOf(cut.nextCursor)).toEqual({ d: 'after', s: 3 });
  });

  it('cuts the oldest extra row of a backward page and continues before its oldest message', () => {
    const window = toWindow(query({ before_seq: 10 }));
    const cut = cutPage(window, rows(5, 6, 7, 8));
    expect(cut.page).toEqual(rows(6, 7, 8));
    expect(cursorOf(cut.nextCursor)).toEqual({ d: 'before', s: 6 });
  });

  it('gives the last page no cursor', () => {
    const cut = cutPage(toWindow(query({})), rows(1, 2));
    expect(cut).toEqual({ page: rows(1, 2), hasNext: false, nextCursor: null });
  });
});
