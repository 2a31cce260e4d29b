import { entityTag, matchesIfNoneMatch } from './entity-tag';

describe('entityTag', () => {
  it('is a quoted digest of the exact text: equal texts equal tags, any change another', () => {
    const tag = entityTag('{"a":1}');
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(entityTag('{"a":1}')).toBe(tag);
    expect(entityTag('{"a":2}')).not.toBe(tag);
    expect(entityTag('{"a":1} ')).not.toBe(tag);
  });
});

describe('matchesIfNoneMatch', () => {
  const tag = entityTag('x');

  it('matches the tag alone, in a list, weakly, or *', () => {
    expect(matchesIfNoneMatch(tag, tag)).toBe(true);
    expect(matchesIfNoneMatch(`"other", ${tag}`, tag)).toBe(true);
    expect(matchesIfNoneMatch(`W/${tag}`, tag)).toBe(true);
    expect(matchesIfNoneMatch(' * ', tag)).toBe(true);
    expect(matchesIfNoneMatch(['"other"', tag], tag)).toBe(true);
  });

  it('does not match without the header, another tag, or the tag unquoted', () => {
    expect(matchesIfNoneMatch(undefined, tag)).toBe(false);
    expect(matchesIfNoneMatch('"other"', tag)).toBe(false);
    expect(matchesIfNoneMatch(tag.slice(1, -1), tag)).toBe(false);
    expect(matchesIfNoneMatch('', tag)).toBe(false);
  });
});
