import { addTags, normalizeTags, removeTags, tagKey, tagListProblem, tagProblem } from './tags';

describe('tags', () => {
  it('compares case-insensitively and across Unicode compositions, ignoring surrounding space', () => {
    expect(tagKey('  Customs ')).toBe('customs');
    expect(tagKey('Cafe\u0301')).toBe(tagKey('CAFÉ'));
    expect(tagKey('관세')).toBe('관세');
  });

  it('trims, keeps the order, and drops a later tag differing only in case (first spelling wins)', () => {
    expect(normalizeTags([' FTA ', '관세', 'fta', 'Import', 'IMPORT '])).toEqual({
      tags: ['FTA', '관세', 'Import'],
      keys: ['fta', '관세', 'import'],
    });
    expect(normalizeTags([])).toEqual({ tags: [], keys: [] });
  });

  it('adds only the tags a conversation lacks, and refuses to go past 20', () => {
    expect(addTags(['FTA'], ['fta', 'New'])).toEqual({
      tags: ['FTA', 'New'],
      keys: ['fta', 'new'],
    });
    const twenty = Array.from({ length: 20 }, (_, i) => `t${i}`);
    expect(addTags(twenty, ['T0'])?.tags).toEqual(twenty);
    expect(addTags(twenty, ['t20'])).toBeNull();
  });

  it('removes tags by key, whatever their spelling', () => {
    expect(removeTags(['FTA', '관세', 'Import'], ['fta', 'IMPORT', 'absent']).tags).toEqual([
      '관세',
    ]);
  });

  it('accepts 1 to 50 characters after trimming, and no control characters', () => {
    expect(tagProblem('a'.repeat(50))).toBeNull();
    expect(tagProblem(`  ${'a'.repeat(50)}  `)).toBeNull();
    expect(tagProblem('a'.repeat(51))).toContain('1 to 50');
    expect(tagProblem('   ')).toContain('1 to 50');
    expect(tagProblem('a\tb')).toContain('control');
    expect(tagProblem('a\u0000b')).toContain('control');
    expect(tagProblem('\uD800')).toContain('surrogates');
    expect(tagProblem(7)).toContain('string');
  });

  it('names the item at fault in a list, and refuses more than 20', () => {
    expect(tagListProblem(['ok', 'x'.repeat(51)])).toBe(
      '$property.1 must be 1 to 50 characters long after trimming',
    );
    expect(tagListProblem(Array(21).fill('a'))).toContain('at most 20');
    expect(tagListProblem(Array(20).fill('a'))).toBeNull();
    expect(tagListProblem('a')).toContain('array');
  });
});
