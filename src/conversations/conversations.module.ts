import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { BranchesController } from './messages/branches.controller';
import { BranchesRepository } from './messages/branches.repository';
import { BranchesService } from './messages/branches.service';
import { MessagesController } from './messages/messages.controller';
import { MessagesRepository } from './messages/messages.repository';
import { MessagesService } from './messages/messages.service';

/**
 * The conversation aggregate: conversations and the messages they own, each with its controller,
 * service and repository. Other features reach it through `ConversationsService` only.
 */
@Module({
  imports: [AuthModule, RateLimitModule, IdempotencyModule],
  controllers: [ConversationsController, MessagesController, BranchesController],
  providers: [
    ConversationsRepository,
    ConversationsService,
    MessagesRepository,
    MessagesService,
    BranchesRepository,
    BranchesService,
  ],
  exports: [ConversationsService],
})
export class ConversationsModule {}
