import {
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  StreamableFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { ApiErrors } from '../common/api-errors';
import { ConversationsService } from '../conversations/conversations.service';
import { UserThrottlerGuard } from '../rate-limit/user-throttler.guard';
import { ReadRoutingInterceptor } from '../read-routing/read-routing.interceptor';
import { ErasureService } from '../retention/erasure.service';
import { ErasureRequestDto } from './dto/erasure-request.dto';
import { ErasureReceiptResponse } from './erasure.responses';

/** A user's own data as a whole: all of it exported, or all of it erased. */
@ApiTags('me')
@ApiBearerAuth()
@ApiErrors(401, 429, 503)
@UseGuards(JwtAuthGuard, UserThrottlerGuard)
@UseInterceptors(ReadRoutingInterceptor)
@Controller('api/v1/me')
export class MeController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly erasure: ErasureService,
  ) {}

  @Get('export')
  @ApiOperation({
    summary: 'Everything the caller has, as NDJSON: active, archived and trashed conversations',
    description:
      'First line `{"type":"export","user_id","exported_at","format_version":1}`; then per conversation, oldest `created_at` first, `{"type":"conversation",...}` (the full conversation with `deleted_at`) followed by its messages in seq order, `{"type":"message",...}`. Streamed from keyset batches of short statements (at most 200 conversations or 200 messages each), read as the client reads: memory stays flat however long the history, and a slow client holds neither a transaction nor a database connection. The price: no single snapshot; each conversation is exported with the messages it had when it was read (one appended during the export is in the next export, never half included). Chosen over one server-side cursor, which would hold a pooled connection and an open transaction for as long as the slowest client takes (and be cut by idle_in_transaction_session_timeout).',
  })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: 'An attachment `export-<user_id>.ndjson`' })
  @ApiErrors(403)
  export(@CurrentUser() user: AuthenticatedUser): StreamableFile {
    return new StreamableFile(Readable.from(this.conversations.exportAll(user.id)), {
      type: 'application/x-ndjson; charset=utf-8',
      disposition: `attachment; filename="export-${user.id}.ndjson"`,
    });
  }

  @Post('erasure')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Erases everything stored for the caller, for good, and answers a receipt',
    description:
      'Conversations in every state, their messages, feedback and idempotency records (one transaction), then every Redis key of the user (cache entries, rate-limit counters). Again: a new receipt with zeros. The receipt is logged with its counts, never content, and is not stored. Redis unreachable after the rows are gone: 503, and sending it again finishes the job. Not idempotent by key: its records are among what it erases.',
  })
  @ApiOkResponse({ type: ErasureReceiptResponse })
  @ApiErrors(400, 403)
  erase(
    @CurrentUser() user: AuthenticatedUser,
    @Body() _body: ErasureRequestDto,
  ): Promise<ErasureReceiptResponse> {
    return this.erasure.erase(user.id);
  }
}
