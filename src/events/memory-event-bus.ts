import type { BusEvent, ConversationRef, EventsAfter, OutgoingEvent } from './conversation-event';
import { compareEventIds, EventBus, resumeFrom, type EventListener } from './event-bus';
import { eventsToDrop, type EventRetention } from './event-retention';

/** Conversations whose history is kept at most (the least recently written are dropped first). */
const MAX_CONVERSATIONS = 10_000;

interface History {
  events: BusEvent[];
  /** When each held event was published, for the age rule. */
  times: number[];
}

/**
 * The bus of a single process without Redis (development, the in-memory cache's mode): the same
 * history, retention and ordering rules as on Redis, delivery to this process's streams only.
 */
export class MemoryEventBus extends EventBus {
  private readonly histories = new Map<string, History>();
  private readonly listeners = new Map<string, Set<EventListener>>();
  private lastMs = 0;
  private sequence = 0;

  constructor(
    private readonly retention: EventRetention,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  isUp(): boolean {
    return true;
  }

  async publish(target: ConversationRef, events: OutgoingEvent[]): Promise<boolean> {
    const key = keyOf(target);
    const history = this.histories.get(key) ?? { events: [], times: [] };
    // Most recently written last, so that the first key is the one to drop.
    this.histories.delete(key);
    this.histories.set(key, history);
    const published: BusEvent[] = [];
    for (const event of events) {
      const previous = history.events.at(-1)?.id ?? '0-0';
      const stored: BusEvent = { ...event, id: this.nextId(), previous };
      history.events.push(stored);
      history.times.push(this.now());
      published.push(stored);
    }
    this.trim(history);
    if (this.histories.size > MAX_CONVERSATIONS) {
      this.histories.delete(this.histories.keys().next().value!);
    }
    for (const event of published) {
      for (const listener of this.listeners.get(key) ?? []) listener(event);
    }
    return true;
  }

  async eventsAfter(target: ConversationRef, lastId: string): Promise<EventsAfter> {
    const history = this.histories.get(keyOf(target));
    const held = history ? this.expire(history) : [];
    return resumeFrom(
      lastId,
      held.filter((event) => compareEventIds(event.id, lastId) >= 0),
    );
  }

  async subscribe(target: ConversationRef, listener: EventListener): Promise<() => void> {
    const key = keyOf(target);
    const listeners = this.listeners.get(key) ?? new Set<EventListener>();
    listeners.add(listener);
    this.listeners.set(key, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.listeners.delete(key);
    };
  }

  onOutage(): void {
    // A process's memory does not go away while the process runs.
  }

  /** Ids shaped like Redis's (`<ms>-<seq>`), increasing even when the clock does not. */
  private nextId(): string {
    const ms = Math.max(this.now(), this.lastMs);
    this.sequence = ms === this.lastMs ? this.sequence + 1 : 0;
    this.lastMs = ms;
    return `${ms}-${this.sequence}`;
  }

  private trim(history: History): void {
    const cutoff = this.now() - this.retention.ageMs;
    const pastAge = history.times.findIndex((time) => time >= cutoff);
    const drop = eventsToDrop(
      history.events.length,
      pastAge === -1 ? history.times.length : pastAge,
      this.retention,
    );
    history.events.splice(0, drop);
    history.times.splice(0, drop);
  }

  /** The held events, none once the conversation has been quiet for the idle period. */
  private expire(history: History): BusEvent[] {
    const last = history.times.at(-1);
    return last !== undefined && this.now() - last < this.retention.idleMs ? history.events : [];
  }
}

function keyOf({ userId, conversationId }: ConversationRef): string {
  return `${userId}:${conversationId}`;
}
