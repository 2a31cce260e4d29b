import { cachedAnswer, deserializeRecord, serializeRecord } from './cached-answer';
import { entityTag } from './entity-tag';

describe('cached answers in Redis', () => {
  const text = JSON.stringify({ title: '관세 "문의"\n둘째 줄', messages: [{ content: 'a\\b' }] });

  it('tags the text once, as the answer is tagged', () => {
    expect(cachedAnswer(text)).toEqual({ tag: entityTag(text), text });
  });

  it('writes an answer as its text and tag, not as JSON again, and reads it back exactly', () => {
    const stored = serializeRecord({ value: cachedAnswer(text), expires: 1_700_000_000_000 });
    expect(stored.endsWith(`\n${text}`)).toBe(true);
    expect(deserializeRecord(stored)).toEqual({
      value: cachedAnswer(text),
      expires: 1_700_000_000_000,
    });
  });

  it('keeps an answer without expiry without one', () => {
    const stored = serializeRecord({ value: cachedAnswer('[]') });
    expect(deserializeRecord(stored)).toEqual({ value: cachedAnswer('[]'), expires: undefined });
  });

  it('keeps every other value (the cache versions) as JSON', () => {
    const stored = serializeRecord({ value: '0f3a', expires: 5 });
    expect(JSON.parse(stored)).toEqual({ value: '0f3a', expires: 5 });
    expect(deserializeRecord(stored)).toEqual({ value: '0f3a', expires: 5 });
  });

  it('reads a cut answer record as nothing rather than as a wrong answer', () => {
    expect(deserializeRecord('a17\n"tag-only"')).toBeUndefined();
  });
});
