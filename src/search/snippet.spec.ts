import { parseQuery } from '../conversations/messages/search-terms';
import { buildSnippet, findMatches, wholeText } from './snippet';

describe('findMatches', () => {
  it('finds Korean substrings and English whole words, case-insensitively', () => {
    const text = 'Import 관세율 and PORT, 관세';
    expect(findMatches(text, parseQuery('관세 port'))).toEqual([
      { start: 7, end: 9 },
      { start: 15, end: 19 },
      { start: 21, end: 23 },
    ]);
  });

  it('merges overlapping words into one range', () => {
    expect(findMatches('관세율표', parseQuery('관세 세율'))).toEqual([{ start: 0, end: 3 }]);
  });
});

describe('buildSnippet', () => {
  it('keeps a short message whole, with offsets into it', () => {
    const { snippet, highlights } = buildSnippet(wholeText('쌀 관세는 513%'), parseQuery('관세'));
    expect(snippet).toBe('쌀 관세는 513%');
    expect(highlights.map(({ start, end }) => snippet.slice(start, end))).toEqual(['관세']);
  });

  it('cuts a long message around the first match, marking the cuts, with offsets into the snippet', () => {
    const content = `${'가'.repeat(500)} 원산지 ${'나'.repeat(500)}`;
    const { snippet, highlights } = buildSnippet(wholeText(content), parseQuery('원산지'));
    expect(snippet.startsWith('…')).toBe(true);
    expect(snippet.endsWith('…')).toBe(true);
    expect(snippet.length).toBeLessThanOrEqual(202);
    expect(highlights.map(({ start, end }) => snippet.slice(start, end))).toEqual(['원산지']);
  });

  it('never splits an emoji at a cut', () => {
    const content = `${'😀'.repeat(200)}관세`;
    const { snippet } = buildSnippet(wholeText(content), parseQuery('관세'));
    expect(snippet).not.toMatch(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
    );
  });

  it('marks the cuts of an excerpt of a longer content, even when the window holds all of it', () => {
    const { snippet, highlights } = buildSnippet(
      { text: '수입 원산지증명서 발급', cutBefore: true, cutAfter: true },
      parseQuery('원산지'),
    );
    expect(snippet).toBe('…수입 원산지증명서 발급…');
    expect(highlights.map(({ start, end }) => snippet.slice(start, end))).toEqual(['원산지']);
  });
});
