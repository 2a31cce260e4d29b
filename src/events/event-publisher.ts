import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { METRICS } from '../metrics/metric-names';
import type { ConversationRef, OutgoingEvent } from './conversation-event';
import { EventBus } from './event-bus';
import { LostEvents } from './lost-events';

export interface PendingEvent {
  target: ConversationRef;
  event: OutgoingEvent;
}

/** Publishes committed writes' events; what the bus cannot take is recorded as lost. */
@Injectable()
export class EventPublisher {
  constructor(
    @Inject(EventBus) private readonly bus: EventBus,
    @Inject(LostEvents) private readonly losses: LostEvents,
    @InjectMetric(METRICS.eventsLost) private readonly lost: Counter,
  ) {}

  /** Call after the write's transaction has committed; never throws. */
  async publish(pending: PendingEvent[]): Promise<void> {
    for (const [target, events] of byConversation(pending)) {
      if (await this.bus.publish(target, events)) continue;
      this.lost.inc();
      await this.losses.record(target);
    }
  }
}

/** One publication per conversation, its events in the order they were recorded. */
function byConversation(pending: PendingEvent[]): Array<[ConversationRef, OutgoingEvent[]]> {
  const groups = new Map<string, [ConversationRef, OutgoingEvent[]]>();
  for (const { target, event } of pending) {
    const key = `${target.userId}:${target.conversationId}`;
    const group = groups.get(key) ?? [target, []];
    group[1].push(event);
    groups.set(key, group);
  }
  return [...groups.values()];
}
