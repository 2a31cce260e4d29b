import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClsService } from 'nestjs-cls';
import { concatMap, Observable } from 'rxjs';
import type { ConversationRef, EventType } from './conversation-event';
import { EventPublisher, type PendingEvent } from './event-publisher';

const PENDING = 'events:pending';

/**
 * Where a write records the events it causes, inside its transaction; they are published only once
 * the request has answered (its transaction committed, the cache invalidated), so that no stream
 * hears of a write that was rolled back, and a client that reads after an event sees the write.
 */
@Injectable()
export class EventOutbox {
  constructor(private readonly cls: ClsService) {}

  record(target: ConversationRef, type: EventType, data: object): void {
    const pending = this.cls.isActive()
      ? this.cls.get<PendingEvent[] | undefined>(PENDING)
      : undefined;
    // A job or command outside HTTP publishes through EventPublisher after its own commit.
    if (!pending) throw new Error(`${type} recorded outside a request that publishes its events`);
    pending.push({ target, event: { type, data: JSON.stringify(data) } });
  }
}

/**
 * Global, so outermost: gives each write request an outbox (in the request's async context, which
 * its transaction inherits), and publishes what was recorded once the handler and the inner
 * interceptors (cache invalidation, idempotency) have answered. A replayed idempotent write runs
 * no handler and publishes nothing again; a failed one publishes nothing.
 */
@Injectable()
export class PublishEventsInterceptor implements NestInterceptor {
  constructor(
    private readonly cls: ClsService,
    private readonly publisher: EventPublisher,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const method = context.switchToHttp().getRequest<FastifyRequest>().method;
    // Reads record nothing, and an event stream's own events must not wait on anything.
    if (method === 'GET' || method === 'HEAD') return next.handle();
    return new Observable((subscriber) =>
      this.cls.run(() => {
        const pending: PendingEvent[] = [];
        this.cls.set(PENDING, pending);
        return next
          .handle()
          .pipe(
            concatMap(async (answer) => {
              await this.publisher.publish(pending.splice(0));
              return answer;
            }),
          )
          .subscribe(subscriber);
      }),
    );
  }
}
