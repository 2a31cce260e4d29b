import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { StatsReaderGuard } from '../auth/stats-reader.guard';
import { ApiErrors } from '../common/api-errors';
import { LIMITS } from '../common/limits';
import { AgentStatsResponse } from './agent-stats.responses';
import { AgentStatsService } from './agent-stats.service';
import { AgentStatsQueryDto } from './dto/agent-stats-query.dto';

const { default: DEFAULT_DAYS, max: MAX_DAYS } = LIMITS.agentStatsDays;

@ApiTags('agents')
@ApiBearerAuth()
@ApiErrors(401, 503)
@UseGuards(StatsReaderGuard)
@Controller('api/v1/agents')
export class AgentStatsController {
  constructor(private readonly agentStats: AgentStatsService) {}

  @Get('stats')
  @ApiOperation({
    summary: "Each agent's messages, conversations, feedback, tokens and latency, across all users",
    description: `For operators: needs the \`stats:read\` scope (403 otherwise). Such a token may name a user or, in its user claim, a service (a dashboard: a claim that is not a user id); no \`user_id\` applies. The window is whole UTC days, \`from\` and \`to\` included (default the last ${DEFAULT_DAYS} days, today included; at most ${MAX_DAYS}). Messages are the assistant messages naming an agent, counted on the day they were written; feedback counts the current ratings of those messages; conversations are the distinct ones with such a message in the window. Latency percentiles are nearest-rank percentiles of usage.latency_ms from a log-bucket histogram, within 4.2% of the exact value (null without any latency). Figures are kept as written: deleting, purging or erasing conversations later does not take their messages out of these counts (the conversations count drops, as it is kept per conversation).`,
  })
  @ApiOkResponse({ type: AgentStatsResponse })
  @ApiErrors(400, 403)
  read(@Query() query: AgentStatsQueryDto): Promise<AgentStatsResponse> {
    return this.agentStats.read(query, new Date());
  }
}
