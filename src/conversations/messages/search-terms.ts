/**
 * The terms that make Korean substring search indexable on stock PostgreSQL. A message is indexed
 * by the syllables and adjacent-syllable pairs of each Hangul run, and by each whole Latin/digit
 * word, lower-cased. A query word of one or two syllables is then answered exactly by one term
 * (`관세` is a pair inside `관세율`); longer words need all their pairs and a substring recheck.
 * English matches whole words, case-insensitively (`port` does not find `import`).
 */

const TOKEN = /[가-힣]+|[a-z0-9]+/g;
const HANGUL = /^[가-힣]+$/;
const LATIN = /^[a-z0-9]+$/;
/** Longer Latin tokens (hashes, base64) are not indexed: GIN keys have a size limit. */
export const MAX_INDEXED_WORD_LENGTH = 64;

export function normalize(text: string): string {
  return text.normalize('NFC').toLowerCase();
}

function termsOfToken(token: string): string[] {
  if (!HANGUL.test(token)) return token.length <= MAX_INDEXED_WORD_LENGTH ? [token] : [];
  const terms: string[] = [];
  for (let i = 0; i < token.length; i += 1) {
    terms.push(token[i]);
    if (i + 1 < token.length) terms.push(token.slice(i, i + 2));
  }
  return terms;
}

/** The index terms of a message's content, each once. */
export function searchTerms(content: string): string[] {
  const terms = new Set<string>();
  for (const token of normalize(content).match(TOKEN) ?? []) {
    for (const term of termsOfToken(token)) terms.add(term);
  }
  return [...terms];
}

export interface QueryWord {
  /** The word as matched: NFC, lower case. */
  text: string;
  /** Terms every matching message holds (possibly none: then only the recheck can find it). */
  terms: string[];
  /** A whole Latin/digit word, matched at word boundaries. */
  wholeWord: boolean;
  /** Whether the terms alone decide a match, or a substring check must confirm it. */
  exact: boolean;
}

/** The words of a query (split on white space, each once); every word must match. */
export function parseQuery(query: string): QueryWord[] {
  const words = [...new Set(normalize(query).split(/\s+/).filter(Boolean))];
  return words.map((text) => {
    const tokens = text.match(TOKEN) ?? [];
    const terms = [...new Set(tokens.flatMap(termsOfToken))];
    const wholeWord = LATIN.test(text);
    const shortHangul = HANGUL.test(text) && text.length <= 2;
    const exact = (wholeWord && text.length <= MAX_INDEXED_WORD_LENGTH) || shortHangul;
    return { text, terms, wholeWord, exact };
  });
}
