import type { BusEvent } from './conversation-event';
import { MemoryEventBus } from './memory-event-bus';

const target = { userId: 1, conversationId: 'conv_1' };
const event = (data: string) => ({ type: 'conversation.updated' as const, data });

describe('MemoryEventBus', () => {
  let now: number;
  let bus: MemoryEventBus;
  let published: BusEvent[];

  beforeEach(async () => {
    now = 1_000_000;
    bus = new MemoryEventBus({ keep: 3, ageMs: 10_000, cap: 5, idleMs: 60_000 }, () => now);
    published = [];
    await bus.subscribe(target, (e) => published.push(e));
  });

  const publish = (...data: string[]) => bus.publish(target, data.map(event));
  const after = async (index: number) => {
    const resumed = await bus.eventsAfter(target, published[index].id);
    return resumed.gap ? 'gap' : resumed.events.map((e) => e.data);
  };

  it('delivers events in order, each naming the one before, to that conversation only', async () => {
    const other: BusEvent[] = [];
    await bus.subscribe({ userId: 2, conversationId: 'conv_1' }, (e) => other.push(e));
    await publish('a', 'b');
    expect(published.map((e) => [e.id, e.previous, e.data])).toEqual([
      ['1000000-0', '0-0', 'a'],
      ['1000000-1', '1000000-0', 'b'],
    ]);
    expect(other).toEqual([]);
  });

  it('resumes after a held id, or after a trimmed one that nothing followed; else a gap', async () => {
    await publish('a', 'b', 'c');
    expect(await after(0)).toEqual(['b', 'c']);
    expect(await after(2)).toEqual([]);
    now += 20_000;
    await publish('d');
    // `a` went (old, and beyond the newest 3); `b`, held, names it as its predecessor.
    expect(await after(0)).toEqual(['b', 'c', 'd']);
    await publish('e');
    expect(await after(0)).toBe('gap');
    expect(await after(1)).toEqual(['c', 'd', 'e']);
    expect(await bus.eventsAfter(target, '1-0')).toEqual({ gap: true, events: [] });
  });

  it('keeps young events beyond `keep` up to the cap, and forgets a quiet conversation', async () => {
    await publish('a', 'b', 'c', 'd', 'e', 'f', 'g');
    // `a` and `b` went (beyond the cap); from `b`, nothing after it is missing.
    expect(await after(0)).toBe('gap');
    expect(await after(1)).toEqual(['c', 'd', 'e', 'f', 'g']);
    now += 60_000;
    expect(await after(6)).toBe('gap');
  });

  it('stops delivering once unsubscribed', async () => {
    const delivered: BusEvent[] = [];
    const leave = await bus.subscribe(target, (e) => delivered.push(e));
    leave();
    await publish('a');
    expect(delivered).toEqual([]);
    expect(published).toHaveLength(1);
  });
});
