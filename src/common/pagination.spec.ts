import { BadRequestException } from '@nestjs/common';
import {
  assertAtMostOne,
  decodeCursor,
  encodeCursor,
  pageNumber,
  pageOf,
  toPageRequest,
} from './pagination';

describe('pagination', () => {
  it('reads page, offset or cursor, and no choice as page 1', () => {
    expect(toPageRequest({}, 20)).toEqual({ kind: 'offset', limit: 20, offset: 0 });
    expect(toPageRequest({ page: 3 }, 20)).toEqual({ kind: 'offset', limit: 20, offset: 40 });
    expect(toPageRequest({ offset: 7 }, 20)).toEqual({ kind: 'offset', limit: 20, offset: 7 });
    expect(toPageRequest({ cursor: 'abc' }, 5)).toEqual({
      kind: 'cursor',
      limit: 5,
      cursor: 'abc',
    });
  });

  it('refuses two ways of choosing a page at once, naming both', () => {
    expect(() => toPageRequest({ page: 2, offset: 5 }, 20)).toThrow(
      'page and offset cannot be combined: send one of them',
    );
    expect(() => assertAtMostOne({ a: 1, b: undefined, c: 2 }, ['a', 'b', 'c'])).toThrow(
      BadRequestException,
    );
    expect(() => assertAtMostOne({ a: 1, b: undefined }, ['a', 'b'])).not.toThrow();
  });

  it('numbers pages from 1 and gives cursor pages no number', () => {
    expect(pageOf(0, 20)).toBe(1);
    expect(pageOf(19, 20)).toBe(1);
    expect(pageOf(20, 20)).toBe(2);
    expect(pageNumber({ kind: 'offset', limit: 10, offset: 30 })).toBe(4);
    expect(pageNumber({ kind: 'cursor', limit: 10, cursor: 'x' })).toBeNull();
  });

  it('round-trips a cursor and refuses one it did not issue with a 400', () => {
    const parse = (value: Record<string, unknown>): { s: number } | null =>
      typeof value.s === 'number' ? { s: value.s } : null;
    const cursor = encodeCursor({ s: 42 });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, parse)).toEqual({ s: 42 });
    for (const bad of [
      'not base64 json',
      encodeCursor({ s: 'x' }),
      Buffer.from('[1]').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad, parse)).toThrow('cursor is not a cursor this service issued');
    }
  });
});
