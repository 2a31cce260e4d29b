import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { ConversationEventsController } from './events/conversation-events.controller';
import { EventStreams } from './events/event-streams.service';
import { OpenStreamGuard } from './events/open-stream.guard';
import { StreamAuthGuard } from './events/stream-auth.guard';
import { StreamTickets } from './events/stream-tickets.service';
import { MessageStreamsRepository } from './messages/message-streams.repository';
import { MessageStreamsService } from './messages/message-streams.service';
import { MessagesController } from './messages/messages.controller';
import { MessagesRepository } from './messages/messages.repository';
import { MessagesService } from './messages/messages.service';
import { StaleStreamSweeper } from './messages/stale-stream-sweeper';

/**
 * The conversation aggregate: conversations and the messages they own, each with its controller,
 * service and repository, and the conversations' event streams. Other features reach it through
 * `ConversationsService` only.
 */
@Module({
  imports: [AuthModule, RateLimitModule, IdempotencyModule],
  controllers: [ConversationsController, MessagesController, ConversationEventsController],
  providers: [
    ConversationsRepository,
    ConversationsService,
    MessagesRepository,
    MessagesService,
    MessageStreamsRepository,
    MessageStreamsService,
    StaleStreamSweeper,
    EventStreams,
    StreamTickets,
    StreamAuthGuard,
    OpenStreamGuard,
  ],
  exports: [ConversationsService],
})
export class ConversationsModule {}
