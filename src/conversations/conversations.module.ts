import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RetentionModule } from '../retention/retention.module';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { MessagesController } from './messages/messages.controller';
import { MessagesRepository } from './messages/messages.repository';
import { MessagesService } from './messages/messages.service';
import { TagsController } from './tags.controller';

/**
 * The conversation aggregate: conversations and the messages they own, each with its controller,
 * service and repository. Other features reach it through `ConversationsService` only.
 */
@Module({
  // Retention deletes a conversation's rows for good (permanent delete, bulk purge).
  imports: [AuthModule, RateLimitModule, IdempotencyModule, RetentionModule],
  controllers: [ConversationsController, MessagesController, TagsController],
  providers: [ConversationsRepository, ConversationsService, MessagesRepository, MessagesService],
  exports: [ConversationsService],
})
export class ConversationsModule {}
