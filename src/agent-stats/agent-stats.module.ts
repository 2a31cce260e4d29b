import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AgentStatsController } from './agent-stats.controller';
import { AgentStatsRecorder } from './agent-stats-recorder.service';
import { AgentStatsRepository } from './agent-stats.repository';
import { AgentStatsService } from './agent-stats.service';

/**
 * The agents' figures across all users: the rollup the conversation aggregate writes through
 * `AgentStatsRecorder` (inside its transactions) and the operators' read of it. It knows
 * nothing of conversations beyond the facts it is given.
 */
@Module({
  imports: [AuthModule],
  controllers: [AgentStatsController],
  providers: [AgentStatsRepository, AgentStatsRecorder, AgentStatsService],
  exports: [AgentStatsRecorder],
})
export class AgentStatsModule {}
