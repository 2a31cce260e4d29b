import { Module, type DynamicModule } from '@nestjs/common';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import type { PostgresConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source-options';
import { isPermanentConnectionFailure } from './database-errors';
import type { DatabaseEndpoint } from './embedded-postgres';
import { SessionConnections } from './session-connections';
import { Transactions } from './transactions';

/**
 * The TypeORM connection, and transactions that follow the request's async context so that a
 * write's repositories and the idempotency record share one transaction (`Transactions`, which
 * every repository injects). Repositories belong to their features' modules.
 * `SessionConnections` opens the rare connection that must be a session of its own (advisory
 * locks).
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: PostgresConfig, endpoint: DatabaseEndpoint): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        Transactions,
        { provide: SessionConnections, useValue: new SessionConnections(config, endpoint) },
      ],
      exports: [Transactions, SessionConnections],
      imports: [
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions(config, endpoint),
          retryAttempts: 5,
          retryDelay: 2000,
          // A refused certificate or password will not change by waiting: fail the boot at once.
          toRetry: (error: unknown) => !isPermanentConnectionFailure(error),
        }),
        ClsModule.forRoot({
          global: true,
          plugins: [
            new ClsPluginTransactional({
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
            }),
          ],
        }),
      ],
    };
  }
}
