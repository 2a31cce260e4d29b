import { fromStoredLsn, parseLsn, toStoredLsn, UNKNOWN_POSITION } from './lsn';

describe('WAL positions', () => {
  it('orders positions as PostgreSQL does, both halves counted', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(() => parseLsn('16-B374D848')).toThrow(/not a WAL position/);
  });

  it('stores a position as 16 hexadecimal digits whose text order is the number order', () => {
    const positions = [parseLsn('0/9'), parseLsn('0/10'), parseLsn('1/0'), UNKNOWN_POSITION];
    const stored = positions.map(toStoredLsn);
    expect(stored.every((text) => text.length === 16)).toBe(true);
    expect([...stored].sort()).toEqual(stored);
    expect(stored.map(fromStoredLsn)).toEqual(positions);
    expect(fromStoredLsn('not a position')).toBeNull();
  });
});
