import { HttpStatus, Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import { RetryLaterException } from '../../common/retry-later.exception';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import type { ConversationRef } from '../../events/conversation-event';
import { EventBus, isEventId } from '../../events/event-bus';
import { ShutdownState } from '../../health/shutdown-state';
import { METRICS } from '../../metrics/metric-names';
import { StreamHandle } from './stream-handle';

/** What a refused stream may wait before trying again: the bus reconnects within 2 s. */
const RETRY_AFTER_SECONDS = 2;

/**
 * The event streams open on this replica: at most `EVENTS_MAX_STREAMS_PER_USER` per user (429
 * beyond); none while the bus is down (503), and every open one ends with `reset` when it goes
 * down. At SIGTERM, streams stay open for the first half of the drain, while load balancers stop
 * routing here, then end (without `reset`: clients resume on another replica with Last-Event-ID);
 * a stream opened after that point ends at once.
 */
@Injectable()
export class EventStreams implements OnModuleDestroy {
  private readonly handles = new Set<StreamHandle>();
  private readonly perUser = new Map<number, number>();
  private readonly maxPerUser: number;
  private closing = false;

  constructor(
    @Inject(EventBus) private readonly bus: EventBus,
    @Inject(APP_CONFIG) config: AppConfig,
    shutdown: ShutdownState,
    @InjectMetric(METRICS.eventStreamsOpen) private readonly openGauge: Gauge,
    @InjectMetric(METRICS.eventsSent) private readonly sent: Counter<'type'>,
  ) {
    this.maxPerUser = config.streaming.maxEventStreamsPerUser;
    bus.onOutage(() => this.endAll('reset'));
    shutdown.whenDraining((drainMs) => {
      setTimeout(() => this.closeAll(), drainMs / 2).unref();
    });
  }

  /**
   * Admits a stream of the user's conversation (ownership checked by the caller), subscribed and,
   * for a reconnect, with the events it missed, before its response starts.
   */
  async open(target: ConversationRef, lastEventId: string | undefined): Promise<StreamHandle> {
    const count = this.perUser.get(target.userId) ?? 0;
    if (count >= this.maxPerUser) {
      throw new RetryLaterException(
        HttpStatus.TOO_MANY_REQUESTS,
        `at most ${this.maxPerUser} event streams per user may be open on a replica: close one`,
        RETRY_AFTER_SECONDS,
      );
    }
    if (!this.bus.isUp()) throw unavailable();
    const resumeFrom = lastEventId !== undefined && isEventId(lastEventId) ? lastEventId : null;
    const handle = new StreamHandle(resumeFrom, (type) => this.sent.inc({ type }));
    if (resumeFrom !== null) handle.awaitReplay();
    this.admit(target.userId, handle);
    try {
      handle.onRelease(await this.bus.subscribe(target, (event) => handle.deliver(event)));
      // An id this service never issued cannot be resumed from: start over.
      if (lastEventId !== undefined && resumeFrom === null) handle.end('reset');
      else if (resumeFrom !== null) handle.replay(await this.bus.eventsAfter(target, resumeFrom));
    } catch {
      handle.dispose();
      throw unavailable();
    }
    if (this.closing) handle.end('close');
    return handle;
  }

  onModuleDestroy(): void {
    this.closeAll();
  }

  private admit(userId: number, handle: StreamHandle): void {
    this.handles.add(handle);
    this.perUser.set(userId, (this.perUser.get(userId) ?? 0) + 1);
    this.openGauge.inc();
    handle.onRelease(() => {
      this.handles.delete(handle);
      const left = (this.perUser.get(userId) ?? 1) - 1;
      if (left === 0) this.perUser.delete(userId);
      else this.perUser.set(userId, left);
      this.openGauge.dec();
    });
  }

  private closeAll(): void {
    this.closing = true;
    this.endAll('close');
  }

  private endAll(how: 'reset' | 'close'): void {
    for (const handle of [...this.handles]) handle.end(how);
  }
}

function unavailable(): RetryLaterException {
  return new RetryLaterException(
    HttpStatus.SERVICE_UNAVAILABLE,
    'the event bus is unavailable: retry after the Retry-After seconds, and reload with GET meanwhile',
    RETRY_AFTER_SECONDS,
  );
}
