import { MAX_QUERY_WORDS, prepareQuery, TERMS_PER_CHECKED_WORD } from './search-query';

describe('prepareQuery', () => {
  it('drops a Korean word found inside another, and keeps whole English words', () => {
    expect(prepareQuery('관세 관세율 세율').map((word) => word.text)).toEqual(['관세율']);
    expect(prepareQuery('port import').map((word) => word.text)).toEqual(['port', 'import']);
    expect(prepareQuery('fta fta협정').map((word) => word.text)).toEqual(['fta', 'fta협정']);
  });

  it('counts words after normalising and merging: 100 syllables of one word is one word', () => {
    expect(prepareQuery(Array(100).fill('가').join(' '))).toHaveLength(1);
    const eighteenNested = Array.from({ length: 18 }, (_, i) =>
      '가나다라마바사아자차카타파하관세율수'.slice(0, i + 1),
    ).join(' ');
    expect(prepareQuery(eighteenNested).map((word) => word.text)).toEqual([
      '가나다라마바사아자차카타파하관세율수',
    ]);
  });

  it(`refuses more than ${MAX_QUERY_WORDS} distinct words with a 400 naming query`, () => {
    const words = '관 세 율 수 입 신 고 서 원 산';
    expect(prepareQuery(words)).toHaveLength(10);
    expect(() => prepareQuery(`${words} 지`)).toThrow(
      'query: at most 10 distinct words (words found inside others count once), got 11',
    );
    expect(() =>
      prepareQuery(
        Array.from({ length: 66 }, (_, i) => '!@#$%^&*()'[i % 10] + '?!.,;:'[i % 6]).join(' '),
      ),
    ).toThrow(/^query: at most 10 distinct words/);
  });

  it('keeps the terms of a word the index decides, and at most eight spread pairs of one it cannot', () => {
    expect(prepareQuery('관세')[0].terms).toEqual(['관', '관세', '세']);
    const long = prepareQuery('가나다라마바사아자차카타파하')[0];
    expect(long.exact).toBe(false);
    expect(long.terms).toHaveLength(TERMS_PER_CHECKED_WORD);
    expect(long.terms[0]).toBe('가나');
    expect(long.terms.at(-1)).toBe('파하');
    expect(prepareQuery('관세율')[0].terms).toEqual(['관세', '세율']);
  });
});
