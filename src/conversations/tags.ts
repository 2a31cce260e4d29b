import { LIMITS } from '../common/limits';
import { hasUnstorableCharacters } from '../common/validation';

/** Tags as stored: the user's spelling (trimmed), and the keys the filter compares. */
export interface NormalizedTags {
  tags: string[];
  keys: string[];
}

const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * What two tags that differ only in case (or in Unicode composition) share: computed here, never
 * by PostgreSQL's `lower()`, whose result depends on the database's locale.
 */
export function tagKey(tag: string): string {
  return tag.trim().normalize('NFC').toLowerCase();
}

/** Why a tag cannot be stored (with `$property` for the field), or null. */
export function tagProblem(value: unknown): string | null {
  if (typeof value !== 'string') return '$property must be a string';
  const trimmed = value.trim();
  if (trimmed.length < 1 || trimmed.length > LIMITS.tagLength) {
    return `$property must be 1 to ${LIMITS.tagLength} characters long after trimming`;
  }
  if (CONTROL_CHARACTER.test(trimmed) || hasUnstorableCharacters(trimmed)) {
    return '$property must not contain control characters or unpaired surrogates';
  }
  return null;
}

/** Why a list of tags cannot be stored, naming the item (`$property.3`), or null. */
export function tagListProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return '$property must be an array of strings';
  if (value.length > LIMITS.tagsPerConversation) {
    return `$property must contain at most ${LIMITS.tagsPerConversation} tags`;
  }
  for (const [index, tag] of value.entries()) {
    const problem = tagProblem(tag);
    if (problem) return problem.replace('$property', `$property.${index}`);
  }
  return null;
}

/** Trimmed, in the order given; a tag whose key came before is dropped (the first spelling wins). */
export function normalizeTags(tags: readonly string[]): NormalizedTags {
  const result: NormalizedTags = { tags: [], keys: [] };
  for (const tag of tags) {
    const key = tagKey(tag);
    if (result.keys.includes(key)) continue;
    result.tags.push(tag.trim());
    result.keys.push(key);
  }
  return result;
}

/** `current` followed by those of `added` it lacks; null when that would exceed the limit. */
export function addTags(
  current: readonly string[],
  added: readonly string[],
): NormalizedTags | null {
  const merged = normalizeTags([...current, ...added]);
  return merged.tags.length > LIMITS.tagsPerConversation ? null : merged;
}

/** `current` without any tag whose key is among `removed`'s. */
export function removeTags(current: readonly string[], removed: readonly string[]): NormalizedTags {
  const gone = new Set(removed.map(tagKey));
  return normalizeTags(current.filter((tag) => !gone.has(tagKey(tag))));
}
