import { Module } from '@nestjs/common';
import { AgentStatsModule } from '../agent-stats/agent-stats.module';
import { AuthModule } from '../auth/auth.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RetentionModule } from '../retention/retention.module';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { BranchesController } from './messages/branches.controller';
import { BranchesRepository } from './messages/branches.repository';
import { BranchesService } from './messages/branches.service';
import { ConversationEventsController } from './events/conversation-events.controller';
import { EventStreams } from './events/event-streams.service';
import { OpenStreamGuard } from './events/open-stream.guard';
import { StreamAuthGuard } from './events/stream-auth.guard';
import { StreamTickets } from './events/stream-tickets.service';
import { FeedbackController } from './messages/feedback/feedback.controller';
import { FeedbackRepository } from './messages/feedback/feedback.repository';
import { FeedbackService } from './messages/feedback/feedback.service';
import { MessageStreamsRepository } from './messages/message-streams.repository';
import { MessageStreamsService } from './messages/message-streams.service';
import { MessagesController } from './messages/messages.controller';
import { MessagesRepository } from './messages/messages.repository';
import { MessagesService } from './messages/messages.service';
import { StaleStreamSweeper } from './messages/stale-stream-sweeper';
import { TagsController } from './tags.controller';

/**
 * The conversation aggregate: conversations and the messages they own, each with its controller,
 * service and repository, the feedback on messages and the conversations' event streams. Other
 * features reach it through `ConversationsService` only; the agents' figures move through
 * `AgentStatsRecorder`.
 */
@Module({
  // Retention deletes a conversation's rows for good (permanent delete, bulk purge).
  imports: [AuthModule, RateLimitModule, IdempotencyModule, AgentStatsModule, RetentionModule],
  controllers: [
    ConversationsController,
    MessagesController,
    BranchesController,
    FeedbackController,
    TagsController,
    ConversationEventsController,
  ],
  providers: [
    ConversationsRepository,
    ConversationsService,
    MessagesRepository,
    MessagesService,
    BranchesRepository,
    BranchesService,
    FeedbackRepository,
    FeedbackService,
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
