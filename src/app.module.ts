import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AgentStatsModule } from './agent-stats/agent-stats.module';
import { CacheModule } from './cache/cache.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import type { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { ConversationsModule } from './conversations/conversations.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import type { DatabaseEndpoint } from './database/embedded-postgres';
import { HealthModule } from './health/health.module';
import { MeModule } from './me/me.module';
import { MetricsModule } from './metrics/metrics.module';
import { PurgeSchedulerModule } from './retention/purge-scheduler.module';
import { ReadRoutingModule } from './read-routing/read-routing.module';
import { SearchModule } from './search/search.module';

/** Composition root: infrastructure first, then the features. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, database: DatabaseEndpoint): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(config.postgres, database),
        MetricsModule,
        CacheModule.forRoot(config.redis),
        EventsModule.forRoot(config.redis),
        ReadRoutingModule,
        HealthModule,
        ConversationsModule,
        SearchModule,
        AgentStatsModule,
        MeModule,
        PurgeSchedulerModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
