import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RetentionModule } from '../retention/retention.module';
import { MeController } from './me.controller';

/** `/api/v1/me`: the export through `ConversationsService`, the erasure through retention. */
@Module({
  imports: [AuthModule, RateLimitModule, ConversationsModule, RetentionModule],
  controllers: [MeController],
})
export class MeModule {}
