import { parseQuery, searchTerms } from './search-terms';

describe('searchTerms', () => {
  it('indexes Hangul syllables and adjacent pairs, so 1- and 2-syllable substrings are terms', () => {
    const terms = searchTerms('관세율은');
    expect(terms).toEqual(['관', '관세', '세', '세율', '율', '율은', '은']);
  });

  it('indexes whole Latin and digit words in lower case, and never pairs across a space', () => {
    expect(searchTerms('HS Code 8471 관세 조회')).toEqual([
      'hs',
      'code',
      '8471',
      '관',
      '관세',
      '세',
      '조',
      '조회',
      '회',
    ]);
    expect(searchTerms('관세 조회')).not.toContain('세조');
  });

  it('splits Hangul from Latin letters and punctuation, and keeps each term once', () => {
    expect(searchTerms('FTA협정, FTA협정!')).toEqual(['fta', '협', '협정', '정']);
  });

  it('skips Latin tokens too long for an index key', () => {
    expect(searchTerms(`key ${'a'.repeat(65)}`)).toEqual(['key']);
  });
});

describe('parseQuery', () => {
  it('answers 1- and 2-syllable Korean and whole English words from terms alone', () => {
    expect(parseQuery('관')).toEqual([
      { text: '관', terms: ['관'], wholeWord: false, exact: true },
    ]);
    expect(parseQuery('관세')[0]).toMatchObject({ terms: ['관', '관세', '세'], exact: true });
    expect(parseQuery('Customs')[0]).toEqual({
      text: 'customs',
      terms: ['customs'],
      wholeWord: true,
      exact: true,
    });
  });

  it('needs a recheck for 3+ syllables, mixed words and punctuation', () => {
    expect(parseQuery('관세율')[0]).toMatchObject({ exact: false, wholeWord: false });
    expect(parseQuery('fta협정')[0]).toMatchObject({
      terms: ['fta', '협', '협정', '정'],
      exact: false,
    });
    expect(parseQuery('100%')[0]).toMatchObject({ text: '100%', terms: ['100'], exact: false });
  });

  it('keeps words without any term (symbols, emoji) for the recheck alone', () => {
    expect(parseQuery('😀 %_\\')).toEqual([
      { text: '😀', terms: [], wholeWord: false, exact: false },
      { text: '%_\\', terms: [], wholeWord: false, exact: false },
    ]);
  });

  it('splits on white space, lower-cases and drops repeated words', () => {
    expect(parseQuery('  Tariff\ttariff  관세 ').map((word) => word.text)).toEqual([
      'tariff',
      '관세',
    ]);
  });
});
