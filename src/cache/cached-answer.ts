import type { DeserializedData } from 'keyv';
import { entityTag } from './entity-tag';

/** A cached read's answer: the JSON text sent and its entity tag, computed once, when stored. */
export interface CachedAnswer {
  tag: string;
  text: string;
}

/** An answer as the cache holds it: with the user's cache version it was read under. */
export interface StoredAnswer extends CachedAnswer {
  version: string;
}

export function cachedAnswer(text: string): CachedAnswer {
  return { tag: entityTag(text), text };
}

const ANSWER_MARK = 'a';

/**
 * How Keyv's record (`{value, expires}`) of a stored answer is written to Redis: `a<expires>`,
 * the version, the tag and the text, a line each. As JSON, the answer's text would be escaped
 * once more, and every hit would unescape it whole (with hashing the text for its tag, a quarter
 * of a cached read's CPU in a profile). Anything else (the cache versions) stays JSON.
 */
export function serializeRecord<Value>({ value, expires }: DeserializedData<Value>): string {
  if (!isStoredAnswer(value)) return JSON.stringify({ value, expires });
  return `${ANSWER_MARK}${expires ?? ''}\n${value.version}\n${value.tag}\n${value.text}`;
}

export function deserializeRecord<Value>(stored: string): DeserializedData<Value> | undefined {
  if (!stored.startsWith(ANSWER_MARK)) return JSON.parse(stored) as DeserializedData<Value>;
  const afterExpires = stored.indexOf('\n');
  const afterVersion = stored.indexOf('\n', afterExpires + 1);
  const afterTag = stored.indexOf('\n', afterVersion + 1);
  if (afterExpires < 0 || afterVersion < 0 || afterTag < 0) return undefined;
  const expires = stored.slice(ANSWER_MARK.length, afterExpires);
  const answer: StoredAnswer = {
    version: stored.slice(afterExpires + 1, afterVersion),
    tag: stored.slice(afterVersion + 1, afterTag),
    text: stored.slice(afterTag + 1),
  };
  return { value: answer as Value, expires: expires === '' ? undefined : Number(expires) };
}

function isStoredAnswer(value: unknown): value is StoredAnswer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as StoredAnswer).version === 'string' &&
    typeof (value as StoredAnswer).tag === 'string' &&
    typeof (value as StoredAnswer).text === 'string'
  );
}
