import { Controller, Param, Post, Sse, UseGuards, type MessageEvent } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/current-user.decorator';
import { JwtAuthGuard } from '../../auth/jwt-auth.guard';
import { ApiErrors } from '../../common/api-errors';
import { UserThrottlerGuard } from '../../rate-limit/user-throttler.guard';
import { ConversationIdPipe } from '../conversation-id.pipe';
import { OpenStream, OpenStreamGuard } from './open-stream.guard';
import { StreamAuthGuard } from './stream-auth.guard';
import type { StreamHandle } from './stream-handle';
import {
  StreamTickets,
  TICKET_LIFETIME_SECONDS,
  type IssuedTicket,
} from './stream-tickets.service';

export class StreamTicketResponse {
  @ApiProperty({ description: 'Pass as `?ticket=` to `GET /:id/events`, once' }) ticket!: string;
  @ApiProperty({ example: TICKET_LIFETIME_SECONDS }) expires_in!: number;
}

@ApiTags('events')
@ApiBearerAuth()
@ApiErrors(401, 429, 503)
@Controller('api/v1/conversations/:id/events')
export class ConversationEventsController {
  constructor(private readonly tickets: StreamTickets) {}

  @Sse()
  @UseGuards(StreamAuthGuard, UserThrottlerGuard, OpenStreamGuard)
  @ApiOperation({
    summary: "The conversation's events, as Server-Sent Events",
    description:
      "For the owner (404 otherwise). Each event has an `id:`: `message.created` (the message), `message.delta` (`{id, seq, offset, text}`: `text` starts at `offset` of the content), `message.completed` (the final message, whatever its status), `conversation.updated` (the conversation), `conversation.deleted` (`{id}`; the stream then ends). A write through any replica reaches the streams of every replica within a second. A reconnect with `Last-Event-ID` gets the events after it that are still held: a conversation's events are held while among its newest 1,000 or younger than 5 minutes (at most 10,000, and for an hour after its last event); otherwise one `event: reset` (with an empty `id:`) says to reload with GET, and the stream ends. `reset` also ends every stream when the event bus goes down (new streams: 503 with Retry-After) and when events of the conversation were lost. A `: keep-alive` comment every 15 s. At most `EVENTS_MAX_STREAMS_PER_USER` (10) open streams per user and replica (429). At shutdown streams end halfway through the drain, after readiness has failed: reconnect (to another replica) with Last-Event-ID. Browsers: `?ticket=` from `POST /:id/events/ticket` instead of the Authorization header; a ticket serves once, so when the stream ends take a new ticket and open a new EventSource with `&last_event_id=` (the id of the last event received) to resume.",
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id of the last event received: the stream resumes after it',
  })
  @ApiQuery({
    name: 'ticket',
    required: false,
    description: 'A single-use stream ticket, instead of the bearer token (EventSource)',
  })
  @ApiQuery({
    name: 'last_event_id',
    required: false,
    description:
      'Same as the Last-Event-ID header (which wins), for a browser that reconnects with a new ticket in a new EventSource',
  })
  @ApiOkResponse({ description: 'text/event-stream' })
  @ApiErrors(403, 404)
  stream(@OpenStream() stream: StreamHandle): Observable<MessageEvent> {
    return stream.events();
  }

  @Post('ticket')
  @UseGuards(JwtAuthGuard, UserThrottlerGuard)
  @ApiOperation({
    summary: 'A single-use ticket for an EventSource of this conversation',
    description: `Valid ${TICKET_LIFETIME_SECONDS} s, for one \`GET /:id/events?ticket=...\` of this conversation only; a used, expired or foreign ticket answers 401.`,
  })
  @ApiCreatedResponse({ type: StreamTicketResponse })
  @ApiErrors(403, 404)
  ticket(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ConversationIdPipe) id: string,
  ): Promise<IssuedTicket> {
    return this.tickets.issue(user.id, id);
  }
}
