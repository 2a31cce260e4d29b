import { eventsToDrop, type EventRetention } from './event-retention';

const retention: EventRetention = { keep: 5, ageMs: 1_000, cap: 8, idleMs: 60_000 };

describe('eventsToDrop', () => {
  it('drops nothing while the newest `keep` are all there is', () => {
    expect(eventsToDrop(5, 5, retention)).toBe(0);
    expect(eventsToDrop(3, 3, retention)).toBe(0);
  });

  it('drops the old ones beyond the newest `keep`, never the young ones', () => {
    expect(eventsToDrop(7, 1, retention)).toBe(1);
    expect(eventsToDrop(7, 7, retention)).toBe(2);
    expect(eventsToDrop(7, 0, retention)).toBe(0);
  });

  it('drops down to the cap whatever their age', () => {
    expect(eventsToDrop(10, 0, retention)).toBe(2);
    expect(eventsToDrop(10, 9, retention)).toBe(5);
  });
});
