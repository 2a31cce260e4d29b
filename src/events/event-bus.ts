import type { BusEvent, ConversationRef, EventsAfter, OutgoingEvent } from './conversation-event';

/** Called with each event of a conversation as it is published. */
export type EventListener = (event: BusEvent) => void;

/**
 * Carries conversation events between replicas: every write publishes into the conversation's
 * history, and each replica delivers them to the streams it has open. Implemented on Redis (a
 * stream per conversation for the history, Pub/Sub for delivery) or, without Redis, in memory.
 */
export abstract class EventBus {
  /** Whether streams can be served now; new streams answer 503 while it is false. */
  abstract isUp(): boolean;

  /**
   * Appends the events to the conversation's history and delivers them, in order, atomically;
   * false when the bus could not take them (they are then lost to every open stream).
   */
  abstract publish(target: ConversationRef, events: OutgoingEvent[]): Promise<boolean>;

  /** The held events after `lastId`; throws when the bus cannot be read. */
  abstract eventsAfter(target: ConversationRef, lastId: string): Promise<EventsAfter>;

  /**
   * Delivers the conversation's events from the moment it resolves (the subscription is in
   * place) until the returned function is called; throws when the bus cannot be reached.
   */
  abstract subscribe(target: ConversationRef, listener: EventListener): Promise<() => void>;

  /** `listener` runs whenever the bus stops delivering: every subscription is gone by then. */
  abstract onOutage(listener: () => void): void;
}

/** A stream id as Redis writes them (`<ms>-<seq>`), the only `Last-Event-ID` accepted. */
export function isEventId(value: string): boolean {
  return /^\d{1,15}-\d{1,15}$/.test(value);
}

/** Orders two stream ids: negative when `a` comes first. */
export function compareEventIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(BigInt);
  const [bMs, bSeq] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

/**
 * What a resume from `lastId` gets, from the held events at and after it (oldest first): all of
 * them when `lastId` is still held, or when the first one after it names it as its predecessor
 * (`lastId` itself was trimmed, nothing after it was); otherwise a gap. No history at all is a gap
 * too: it may have been lost (a Redis restart) along with events the client never saw.
 */
export function resumeFrom(lastId: string, fromLast: BusEvent[]): EventsAfter {
  const [first] = fromLast;
  if (first?.id === lastId) return { gap: false, events: fromLast.slice(1) };
  if (first?.previous === lastId) return { gap: false, events: fromLast };
  return { gap: true, events: [] };
}
