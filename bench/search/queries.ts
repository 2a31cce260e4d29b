import { SeededRandom } from '../support/random';
import type { Vocabulary } from './corpus';

export type QueryClass =
  '1 syllable' | '2 syllables' | '3+ syllables' | 'English word' | 'two words';
export interface BenchQuery {
  text: string;
  class: QueryClass;
  frequency: 'common' | 'rare';
}

const PER_GROUP = 15;

/** 30 queries per class, half common (top of the Zipf ranks) and half rare (its tail). */
export function buildQueries(vocabulary: Vocabulary): BenchQuery[] {
  const random = new SeededRandom(7);
  const { korean, english } = vocabulary;
  const syllablesByRank: string[] = [];
  for (const word of korean)
    for (const syllable of word)
      if (!syllablesByRank.includes(syllable)) syllablesByRank.push(syllable);
  const twoSyllables = korean.filter((word) => word.length === 2);
  const longer = korean.filter((word) => word.length >= 3);
  const take = (
    words: string[],
    from: number,
    klass: QueryClass,
    frequency: 'common' | 'rare',
  ): BenchQuery[] =>
    words.slice(from, from + PER_GROUP).map((text) => ({ text, class: klass, frequency }));
  const pairs = (
    count: number,
    first: string[],
    second: string[],
    frequency: 'common' | 'rare',
  ): BenchQuery[] =>
    Array.from({ length: count }, () => ({
      text: `${random.pick(first)} ${random.pick(second)}`,
      class: 'two words' as const,
      frequency,
    }));
  return [
    ...take(syllablesByRank, 0, '1 syllable', 'common'),
    ...take(syllablesByRank, Math.max(0, syllablesByRank.length - PER_GROUP), '1 syllable', 'rare'),
    ...take(twoSyllables, 0, '2 syllables', 'common'),
    ...take(twoSyllables, Math.max(0, twoSyllables.length - PER_GROUP), '2 syllables', 'rare'),
    ...take(longer, 0, '3+ syllables', 'common'),
    ...take(longer, longer.length - 3000, '3+ syllables', 'rare'),
    ...take(english, 0, 'English word', 'common'),
    ...take(english, english.length - PER_GROUP, 'English word', 'rare'),
    ...pairs(PER_GROUP, korean.slice(0, 20), korean.slice(0, 20), 'common'),
    ...pairs(PER_GROUP, korean.slice(0, 20), longer.slice(1000, 2000), 'rare'),
  ];
}
