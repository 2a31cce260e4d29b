import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { PurgeScheduler } from './purge.scheduler';
import { RetentionModule } from './retention.module';

/** The job on its interval inside the service; commands run `PurgeService` without it. */
@Module({
  imports: [ScheduleModule.forRoot(), RetentionModule],
  providers: [PurgeScheduler],
})
export class PurgeSchedulerModule {}
