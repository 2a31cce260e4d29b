import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { PostgresConfig } from '../config/app-config';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { IdempotencyRepository } from '../idempotency/idempotency.repository';
import { MessagesRepository } from '../messages/messages.repository';
import { buildDataSourceOptions } from './data-source-options';
import { isPermanentConnectionFailure } from './database-health';
import type { DatabaseEndpoint } from './embedded-postgres';

const REPOSITORIES = [ConversationsRepository, MessagesRepository, IdempotencyRepository];

/**
 * The TypeORM connection and every repository (Immich's layout: services of any feature inject
 * the repositories they need; repositories hold every query).
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: PostgresConfig, endpoint: DatabaseEndpoint): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions(config, endpoint),
          retryAttempts: 5,
          retryDelay: 2000,
          // A refused certificate or password will not change by waiting: fail the boot at once.
          toRetry: (error: unknown) => !isPermanentConnectionFailure(error),
        }),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
