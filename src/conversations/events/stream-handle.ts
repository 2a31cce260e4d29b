import type { MessageEvent } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import { RESET, type BusEvent, type EventsAfter } from '../../events/conversation-event';
import { compareEventIds } from '../../events/event-bus';

/** A comment line this often keeps proxies from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;

/** How a stream ends: `reset` tells the client to reload with GET; `close` lets it resume. */
export type StreamEnd = 'reset' | 'close';

/** `event: reset` with an empty `id:`, which clears the client's Last-Event-ID: it starts over. */
const RESET_EVENT: MessageEvent = { type: RESET, id: '', data: '{}' };

/**
 * One open event stream. It takes events from the bus from the moment the stream is admitted
 * (before the response has started), keeps them until Nest subscribes, then writes them in
 * order, each with its id. An event whose predecessor is not the last one written means some
 * were lost: the stream ends with `reset`, as it does at a `reset` marker or when told to.
 */
export class StreamHandle {
  private readonly queue: MessageEvent[] = [];
  private subscriber: Subscriber<MessageEvent> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private ended = false;
  private released = false;
  /** Live events that arrive while a reconnect's history is being read: written after it. */
  private held: BusEvent[] | null = null;
  private readonly releases: Array<() => void> = [];

  constructor(
    /** The id of the last event the client has: what follows must continue it. */
    private lastId: string | null,
    private readonly sent: (type: string) => void,
  ) {}

  /** Runs once when the stream is over, however it ended (its subscription, its slot). */
  onRelease(release: () => void): void {
    if (this.released) release();
    else this.releases.push(release);
  }

  /** A reconnect: live events wait until `replay` has written the history they follow. */
  awaitReplay(): void {
    this.held ??= [];
  }

  /** The history a reconnect asked for, then the live events that arrived meanwhile. */
  replay(history: EventsAfter): void {
    const live = this.held ?? [];
    this.held = null;
    if (history.gap) {
      this.end('reset');
      return;
    }
    for (const event of [...history.events, ...live]) this.deliver(event);
  }

  deliver(event: BusEvent): void {
    if (this.ended) return;
    if (this.held) {
      this.held.push(event);
      return;
    }
    // Already written from the history: the subscription came first and saw it too.
    if (this.lastId !== null && compareEventIds(event.id, this.lastId) <= 0) return;
    const continues =
      this.lastId === null || event.previous === this.lastId || event.previous === '0-0';
    if (!continues || event.type === RESET) {
      this.end('reset');
      return;
    }
    this.lastId = event.id;
    this.emit({ id: event.id, type: event.type, data: event.data });
    // The conversation is gone: a reconnect would be answered 404.
    if (event.type === 'conversation.deleted') this.end('close');
  }

  end(how: StreamEnd): void {
    if (this.ended) return;
    if (how === 'reset') this.emit(RESET_EVENT);
    this.ended = true;
    this.subscriber?.complete();
    if (!this.subscriber) this.release();
  }

  /** What Nest writes to the response; unsubscribing (the client left) releases the stream. */
  events(): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      this.subscriber = subscriber;
      for (const event of this.queue.splice(0)) subscriber.next(event);
      if (this.ended) {
        subscriber.complete();
      } else {
        this.heartbeat = setInterval(
          () => subscriber.next({ comment: 'keep-alive' }),
          HEARTBEAT_MS,
        );
        this.heartbeat.unref();
      }
      return () => this.release();
    });
  }

  /** The response closed, whether or not Nest ever subscribed. */
  dispose(): void {
    this.ended = true;
    this.release();
  }

  private emit(event: MessageEvent): void {
    this.sent(String(event.type));
    if (this.subscriber) this.subscriber.next(event);
    else this.queue.push(event);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const release of this.releases.splice(0)) release();
  }
}
