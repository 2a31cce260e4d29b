/**
 * How much of a conversation's history `Last-Event-ID` can resume from. An event is held while it
 * is among the conversation's newest `keep` or younger than `ageMs` (the contract's "at least the
 * last 1,000 or 5 minutes": whichever holds more), never more than `cap` of them (a runaway writer
 * cannot fill Redis); the whole history goes `idleMs` after the conversation's last event.
 */
export interface EventRetention {
  keep: number;
  ageMs: number;
  cap: number;
  idleMs: number;
}

export const EVENT_RETENTION: EventRetention = {
  keep: 1_000,
  ageMs: 5 * 60_000,
  cap: 10_000,
  idleMs: 60 * 60_000,
};

/** How many of the oldest events to drop, given how many are held and how many are past the age. */
export function eventsToDrop(held: number, pastAge: number, retention: EventRetention): number {
  if (held <= retention.keep) return 0;
  return Math.max(Math.min(pastAge, held - retention.keep), held - retention.cap);
}
