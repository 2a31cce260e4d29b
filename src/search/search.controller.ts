import { Body, Controller, HttpCode, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { UserThrottlerGuard } from '../rate-limit/user-throttler.guard';
import { ApiErrors } from '../common/api-errors';
import { ReadRoutingInterceptor } from '../read-routing/read-routing.interceptor';
import { ReadsOnly } from '../read-routing/reads-only.decorator';
import { SearchMessagesDto } from './dto/search-messages.dto';
import { SearchResponse } from './search.responses';
import { SearchService } from './search.service';

@ApiTags('search')
@ApiBearerAuth()
@ApiErrors(401, 429, 503)
@UseGuards(JwtAuthGuard, UserThrottlerGuard)
@UseInterceptors(ReadRoutingInterceptor)
@Controller('api/v1/conversations/search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  @Post()
  @HttpCode(200)
  @ReadsOnly()
  @ApiOperation({
    summary: "Search the caller's active conversations in Korean and English",
    description:
      'Korean matches as a substring, English as whole words, case-insensitively; every word must match. total_count is exact up to 1,000 (total_count_exact true), else a lower bound. With more than 1,000 matches, relevance is ranked over the newest 200 of them.',
  })
  @ApiOkResponse({ type: SearchResponse })
  @ApiErrors(400, 403)
  searchMessages(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: SearchMessagesDto,
  ): Promise<SearchResponse> {
    return this.search.searchMessages(user.id, body);
  }
}
