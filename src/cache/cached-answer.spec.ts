import { cachedAnswer, deserializeRecord, serializeRecord } from './cached-answer';
import { entityTag } from './entity-tag';

describe('cached answers in Redis', () => {
  const text = JSON.stringify({ title: '관세 "문의"\n둘째 줄', messages: [{ content: 'a\\b' }] });
  const stored = { version: '0f3a9c', ...cachedAnswer(text) };

  it('tags the text once, as the answer is tagged', () => {
    expect(cachedAnswer(text)).toEqual({ tag: entityTag(text), text });
  });

  it('writes an answer as its version, tag and text, not as JSON again, and reads it back exactly', () => {
    const record = serializeRecord({ value: stored, expires: 1_700_000_000_000 });
    expect(record.endsWith(`\n${text}`)).toBe(true);
    expect(deserializeRecord(record)).toEqual({ value: stored, expires: 1_700_000_000_000 });
  });

  it('keeps an answer without expiry without one', () => {
    const record = serializeRecord({ value: { version: '0', ...cachedAnswer('[]') } });
    expect(deserializeRecord(record)).toEqual({
      value: { version: '0', ...cachedAnswer('[]') },
      expires: undefined,
    });
  });

  it('keeps every other value (the cache versions) as JSON', () => {
    const record = serializeRecord({ value: '0f3a', expires: 5 });
    expect(JSON.parse(record)).toEqual({ value: '0f3a', expires: 5 });
    expect(deserializeRecord(record)).toEqual({ value: '0f3a', expires: 5 });
  });

  it('reads a cut answer record as nothing rather than as a wrong answer', () => {
    expect(deserializeRecord('a17\n0f3a\n"tag-only"')).toBeUndefined();
    expect(deserializeRecord('a17\n0f3a')).toBeUndefined();
  });
});
