import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/load-config';
import { openDatabaseTarget } from './database/database-target';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Bootstrap');
  const config = loadConfig();
  const database = await openDatabaseTarget(config.postgres, (line) => logger.log(line));
  const app = await createApp(config, database.endpoint);
  let closing = false;
  const shutDown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: closing`);
    await app.close();
    await database.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutDown('SIGTERM'));
  process.once('SIGINT', () => void shutDown('SIGINT'));
  await app.listen(config.port, '0.0.0.0');
  const cache = config.redis
    ? `Redis at ${config.redis.host}:${config.redis.port}`
    : 'in-process memory';
  logger.log(`serving on port ${config.port}; database: ${database.description}; cache: ${cache}`);
}

bootstrap().catch((error: unknown) => {
  // A configuration problem is the operator's to fix: say exactly what, without a stack trace.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
