import {
  createParamDecorator,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedRequest } from '../../auth/jwt-auth.guard';
import { isStorableId } from '../../common/ids';
import { conversationNotFound, ConversationsService } from '../conversations.service';
import { EventStreams } from './event-streams.service';
import type { StreamHandle } from './stream-handle';

const OPEN_STREAM = Symbol('OPEN_STREAM');
type StreamRequest = AuthenticatedRequest & { [OPEN_STREAM]?: StreamHandle };

/**
 * Admits an event stream before its response starts: the conversation is the caller's (404),
 * a slot is free (429), the bus is up (503), the subscription is in place and a reconnect's
 * missed events are read. This is a guard, not the handler, because an `@Sse()` response commits
 * its 200 and headers one tick after the handler is subscribed: work that awaits anything in the
 * handler could only fail as an event of a stream already answered 200.
 */
@Injectable()
export class OpenStreamGuard implements CanActivate {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly streams: EventStreams,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<StreamRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const { id } = request.params as { id: string };
    if (!isStorableId(id)) throw conversationNotFound();
    await this.conversations.requireActive(request.user.id, id);
    const handle = await this.streams.open(
      { userId: request.user.id, conversationId: id },
      lastEventIdOf(request),
    );
    // However the request ends (the client left before the stream started, too), the slot and
    // the subscription go with it; a client that left while this guard awaited is gone already.
    reply.raw.once('close', () => handle.dispose());
    if (reply.raw.destroyed || request.raw.socket?.destroyed) handle.dispose();
    request[OPEN_STREAM] = handle;
    return true;
  }
}

/**
 * The header an EventSource sends when it reconnects by itself, else `?last_event_id=`: a browser
 * that must fetch a new ticket opens a new EventSource, which cannot send the header. The query
 * parameter is consumed here, like the ticket.
 */
function lastEventIdOf(request: StreamRequest): string | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const fromQuery = query.last_event_id;
  delete query.last_event_id;
  const header = request.headers['last-event-id'];
  if (typeof header === 'string') return header;
  return typeof fromQuery === 'string' ? fromQuery : undefined;
}

/** The stream `OpenStreamGuard` admitted for this request. */
export const OpenStream = createParamDecorator(
  (_data: unknown, context: ExecutionContext): StreamHandle =>
    context.switchToHttp().getRequest<StreamRequest>()[OPEN_STREAM]!,
);
