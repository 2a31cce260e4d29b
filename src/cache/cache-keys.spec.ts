import { cacheKeys, firstPageLimit, userTag } from './cache-keys';

describe('firstPageLimit', () => {
  it('names the default page size when the query asks for nothing', () => {
    expect(firstPageLimit({}, 20)).toBe(20);
    expect(firstPageLimit(undefined, 50)).toBe(50);
  });

  it('reads a plain limit of 1 to 3 digits', () => {
    expect(firstPageLimit({ limit: '1' }, 20)).toBe(1);
    expect(firstPageLimit({ limit: '200' }, 20)).toBe(200);
  });

  it("takes offset=0 or page=1 (the predecessor's gateway sends them) as the first page", () => {
    expect(firstPageLimit({ limit: '50', offset: '0' }, 20)).toBe(50);
    expect(firstPageLimit({ page: '1' }, 20)).toBe(20);
  });

  it('is null for any other page or any limit that validation would refuse or read differently', () => {
    for (const query of [
      { page: '2' },
      { offset: '20' },
      { offset: '00' },
      { offset: '0', page: '1' },
      { cursor: 'x' },
      { before_seq: '5' },
      { limit: '20', page: '2' },
      { limit: '0' },
      { limit: '020' },
      { limit: '1000' },
      { limit: 'ten' },
      { limit: ['1', '2'] },
    ]) {
      expect(firstPageLimit(query, 20)).toBeNull();
    }
  });
});

/** What Redis Cluster hashes of a key: the text inside the first `{...}` when not empty. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('cacheKeys', () => {
  it('puts the prefix and the user in front of the version and of every entry', () => {
    expect(cacheKeys.version('p', 7)).toBe('p:{u:7}:version');
    expect(cacheKeys.entry('p', 7, cacheKeys.conversation('conv_1'))).toBe(
      'p:{u:7}:answer:conversation:conv_1',
    );
    expect(cacheKeys.writePosition('p', 7)).toBe('p:{u:7}:wal');
    expect(cacheKeys.firstMessagePage('conv_1', 50)).toBe('messages:conv_1:first:50');
    expect(cacheKeys.firstConversationPage(20)).toBe('conversations:first:20');
  });

  it('matches every key of one user, and only that user, with glob characters of the prefix escaped', () => {
    expect(cacheKeys.everythingOf('p', 7)).toBe('p:{u:7}:*');
    expect(cacheKeys.everythingOf('a*b?[c]\\', 12)).toBe('a\\*b\\?\\[c\\]\\\\:{u:12}:*');
  });

  it('puts the user in every key and channel of events and tickets', () => {
    expect(cacheKeys.eventHistory('p', 7, 'conv_1')).toBe('p:{u:7}:events:conv_1');
    expect(cacheKeys.eventChannel('p', 7, 'conv_1')).toBe('p:{u:7}:events:conv_1:live');
    expect(cacheKeys.eventTicket('p', 7, 'ab12')).toBe('p:{u:7}:ticket:ab12');
  });

  it("hash-tags every key by its user alone, whatever the prefix, so a user's keys share a slot", () => {
    for (const prefix of ['chatbot', 'a:b', 'chatbot-test-1']) {
      const keys = [
        cacheKeys.version(prefix, 42),
        cacheKeys.entry(prefix, 42, cacheKeys.firstConversationPage(20)),
        cacheKeys.writePosition(prefix, 42),
        `${prefix}:${userTag(42)}:ratelimit:default`,
        cacheKeys.eventHistory(prefix, 42, 'conv_1'),
        cacheKeys.eventChannel(prefix, 42, 'conv_1'),
        cacheKeys.eventTicket(prefix, 42, 'ab12'),
      ];
      expect(keys.map(hashedPart)).toEqual(Array(keys.length).fill('u:42'));
    }
    expect(hashedPart(cacheKeys.version('chatbot', 43))).toBe('u:43');
  });
});
