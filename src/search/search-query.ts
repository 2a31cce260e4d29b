import { BadRequestException } from '@nestjs/common';
import { parseQuery, type QueryWord } from '../conversations/messages/search-terms';

/** Distinct words a query may hold, once words implied by others are merged away. */
export const MAX_QUERY_WORDS = 10;
/**
 * Index terms taken from one word that needs a text check anyway: spread over the word, they
 * narrow the candidates as well as all of its terms would, at a bounded index cost.
 */
export const TERMS_PER_CHECKED_WORD = 8;

/**
 * The words of a query, bounded and without redundancy: a word found as a substring inside
 * another is implied by it (`관세` by `관세율`) and dropped, except whole English words, which
 * match alone (`port` is not implied by `import`). A 400 names `query` when the bounds are passed.
 */
export function prepareQuery(query: string): QueryWord[] {
  const parsed = parseQuery(query);
  const words = parsed.filter(
    (word) =>
      word.wholeWord ||
      !parsed.some(
        (other) =>
          other !== word && other.text.length > word.text.length && other.text.includes(word.text),
      ),
  );
  if (words.length > MAX_QUERY_WORDS) {
    throw new BadRequestException(
      `query: at most ${MAX_QUERY_WORDS} distinct words (words found inside others count once), got ${words.length}`,
    );
  }
  return words.map((word) => (word.exact ? word : { ...word, terms: spreadTerms(word.terms) }));
}

/** At most TERMS_PER_CHECKED_WORD of a word's terms, preferring pairs, spread over the word. */
function spreadTerms(terms: string[]): string[] {
  const pairs = terms.filter((term) => term.length === 2);
  // A pair holds its two syllables: the single syllables add nothing once its pairs are there.
  const useful = pairs.length > 0 ? pairs : terms;
  if (useful.length <= TERMS_PER_CHECKED_WORD) return useful;
  const step = (useful.length - 1) / (TERMS_PER_CHECKED_WORD - 1);
  return Array.from({ length: TERMS_PER_CHECKED_WORD }, (_, i) => useful[Math.round(i * step)]);
}
