import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { SearchAdmission } from './search-admission';
import { SearchController } from './search.controller';
import { SearchRepository } from './search.repository';
import { SearchService } from './search.service';

@Module({
  imports: [AuthModule, RateLimitModule, ConversationsModule],
  controllers: [SearchController],
  providers: [SearchRepository, SearchService, SearchAdmission],
})
export class SearchModule {}
