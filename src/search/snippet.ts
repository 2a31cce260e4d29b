import type { QueryWord } from '../conversations/messages/search-terms';

export interface Snippet {
  snippet: string;
  highlights: Array<{ start: number; end: number }>;
}

const SNIPPET_LENGTH = 200;
const LEAD = 60;
const ELLIPSIS = '…';

/** Where each query word occurs in `text`, as half-open JavaScript string ranges, sorted. */
export function findMatches(
  text: string,
  words: QueryWord[],
): Array<{ start: number; end: number }> {
  const ranges: Array<{ start: number; end: number }> = [];
  for (const word of words) {
    const escaped = word.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // English words match whole (as the index does); everything else as a substring.
    const pattern = word.wholeWord ? `(?<![a-z0-9])${escaped}(?![a-z0-9])` : escaped;
    for (const match of text.normalize('NFC').matchAll(new RegExp(pattern, 'giu'))) {
      ranges.push({ start: match.index, end: match.index + match[0].length });
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  // Overlapping words (관세 inside 관세율) highlight once, as their union.
  const merged: Array<{ start: number; end: number }> = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/**
 * Part of a message's content: the text, and whether content precedes and follows it (the
 * database sends an excerpt around the first match, never the whole of a long message).
 */
export interface Excerpt {
  text: string;
  cutBefore: boolean;
  cutAfter: boolean;
}

/** The whole of a short text, as an excerpt. */
export const wholeText = (text: string): Excerpt => ({ text, cutBefore: false, cutAfter: false });

/** A window of the excerpt around its first match, with the matches inside it highlighted. */
export function buildSnippet(excerpt: Excerpt, words: QueryWord[]): Snippet {
  const text = excerpt.text.normalize('NFC');
  const matches = findMatches(text, words);
  const first = matches[0]?.start ?? 0;
  let from = Math.max(0, first - LEAD);
  let to = Math.min(text.length, from + SNIPPET_LENGTH);
  from = Math.max(0, Math.min(from, to - SNIPPET_LENGTH));
  // Never cut a surrogate pair in half.
  if (from > 0 && /[\uDC00-\uDFFF]/.test(text[from])) from -= 1;
  if (to < text.length && /[\uD800-\uDBFF]/.test(text[to - 1])) to -= 1;
  const prefix = from > 0 || excerpt.cutBefore ? ELLIPSIS : '';
  const suffix = to < text.length || excerpt.cutAfter ? ELLIPSIS : '';
  const highlights = matches
    .filter((match) => match.start >= from && match.end <= to)
    .map((match) => ({
      start: match.start - from + prefix.length,
      end: match.end - from + prefix.length,
    }));
  return { snippet: `${prefix}${text.slice(from, to)}${suffix}`, highlights };
}
