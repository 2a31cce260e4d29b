import type { DeserializedData } from 'keyv';
import { entityTag } from './entity-tag';

/** A cached read's answer: the JSON text sent and its entity tag, computed once, when stored. */
export interface CachedAnswer {
  tag: string;
  text: string;
}

export function cachedAnswer(text: string): CachedAnswer {
  return { tag: entityTag(text), text };
}

const ANSWER_MARK = 'a';

/**
 * How Keyv's record (`{value, expires}`) of a cached answer is written to Redis: `a<expires>`,
 * the tag and the text, a line each. As JSON, the answer's text would be escaped once more, and
 * every hit would unescape it whole (with hashing the text for its tag, a quarter of a cached
 * read's CPU in a profile). Anything else (the cache versions) stays JSON.
 */
export function serializeRecord<Value>({ value, expires }: DeserializedData<Value>): string {
  if (!isCachedAnswer(value)) return JSON.stringify({ value, expires });
  return `${ANSWER_MARK}${expires ?? ''}\n${value.tag}\n${value.text}`;
}

export function deserializeRecord<Value>(stored: string): DeserializedData<Value> | undefined {
  if (!stored.startsWith(ANSWER_MARK)) return JSON.parse(stored) as DeserializedData<Value>;
  const afterExpires = stored.indexOf('\n');
  const afterTag = stored.indexOf('\n', afterExpires + 1);
  if (afterExpires < 0 || afterTag < 0) return undefined;
  const expires = stored.slice(ANSWER_MARK.length, afterExpires);
  const answer: CachedAnswer = {
    tag: stored.slice(afterExpires + 1, afterTag),
    text: stored.slice(afterTag + 1),
  };
  return { value: answer as Value, expires: expires === '' ? undefined : Number(expires) };
}

function isCachedAnswer(value: unknown): value is CachedAnswer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as CachedAnswer).tag === 'string' &&
    typeof (value as CachedAnswer).text === 'string'
  );
}
