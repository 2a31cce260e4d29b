import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule } from '../cache/cache.module';
import type { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/config.module';
import { ConfigError } from '../config/load-config';
import { describeConnectionFailure, isConnectionFailure } from '../database/database-errors';
import { DatabaseModule } from '../database/database.module';
import { openDatabaseTarget } from '../database/database-target';
import type { DatabaseEndpoint } from '../database/embedded-postgres';
import { createRootLogger, PinoNestLogger } from '../logging/logger';
import { MetricsModule } from '../metrics/metrics.module';
import { RetentionModule } from '../retention/retention.module';

/** What an operator's command needs of the service: no HTTP, no scheduled job, no migrations. */
@Module({})
class OperatorModule {
  static forRoot(config: AppConfig, database: DatabaseEndpoint): DynamicModule {
    return {
      module: OperatorModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(config.postgres, database),
        MetricsModule,
        CacheModule.forRoot(config.redis),
        RetentionModule,
      ],
    };
  }
}

/**
 * Runs `command` with the service's own providers (the same repositories, cache and metrics the
 * app uses), then closes everything. Log lines go to stderr, so that stdout holds the result.
 */
export async function withOperatorContext<T>(
  config: AppConfig,
  command: (context: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const target = await openDatabaseTarget(config.postgres, (line) => console.error(line));
  try {
    const context = await NestFactory.createApplicationContext(
      OperatorModule.forRoot(
        { ...config, postgres: { ...config.postgres, migrationsRun: false } },
        target.endpoint,
      ),
      { logger: new PinoNestLogger(createRootLogger('warn', 'json', 2)), abortOnError: false },
    );
    try {
      return await command(context);
    } finally {
      await context.close();
    }
  } finally {
    await target.stop();
  }
}

/**
 * Runs a command's `main` and exits with its code; a failure is told in the operator's terms
 * (the configuration's problems, PostgreSQL unreachable, or what failed), exit code 1.
 */
export function runCommand(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof ConfigError) console.error(error.message);
      else if (isConnectionFailure(error))
        console.error(`cannot use PostgreSQL: ${describeConnectionFailure(error)}`);
      else console.error(`${name} failed: ${(error as Error).message ?? String(error)}`);
      process.exit(1);
    },
  );
}
