import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load-config';
import { endpointOf } from '../database/data-source-options';
import { libpqEnvironment, runPgTool } from '../database/pg-tools';

const USAGE = 'usage: npm run db:backup [-- --dir DIR]   (default BACKUP_DIR)';

/** A pg_dump custom-format archive of the configured database, named by database and UTC time. */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { dir: { type: 'string' } }, strict: true });
  const config = loadConfig();
  if (!config.postgres.host) {
    console.error(
      'db:backup needs POSTGRES_HOST: the embedded development database is not backed up',
    );
    return 1;
  }
  const endpoint = endpointOf(config.postgres);
  const dir = resolve(values.dir ?? config.backupDir);
  await mkdir(dir, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const file = join(dir, `${endpoint.database}-${stamp}.dump`);
  const { code, stderr } = await runPgTool(
    'pg_dump',
    ['--format=custom', '--compress=6', '--no-password', `--file=${file}`],
    libpqEnvironment(config.postgres, endpoint),
  );
  if (code !== 0) {
    await rm(file, { force: true });
    console.error(`backup failed (pg_dump exited ${code}): ${stderr.trim()}`);
    return 1;
  }
  const { size } = await stat(file);
  console.log(`${file} (${size} bytes)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `${String(error)}\n${USAGE}`);
    process.exit(error instanceof ConfigError ? 1 : 2);
  },
);
