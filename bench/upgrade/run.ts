import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { fillPredecessor, predecessorSchema } from '../../test/support/predecessor-database';
import { BENCH_SERVER, recreateDatabase } from '../support/bench-database';

const DATABASE = 'chatbot_bench_upgrade';
const ROOT = join(__dirname, '..', '..');

/**
 * The upgrade in place at scale: the predecessor's database of the test fixture (same schema,
 * same corruption) with `--users` users, then `db:setup -- --dry-run` and `db:setup`, timed, with
 * what each printed and the rate in messages per second.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '8000' },
      'batch-size': { type: 'string', default: '200' },
    },
  });
  const size = { users: Number(values.users), conversationsPerUser: 15, maxMessages: 12 };
  await recreateDatabase(DATABASE);
  const client = new Client({ ...BENCH_SERVER, database: DATABASE });
  await client.connect();
  const loading = Date.now();
  await client.query(predecessorSchema('extra_metadata'));
  await fillPredecessor(client, 'extra_metadata', size);
  const { rows } = await client.query(
    `SELECT (SELECT count(*) FROM conversations)::int AS conversations, (SELECT count(*) FROM messages)::int AS messages,
            pg_size_pretty(pg_database_size(current_database())) AS size`,
  );
  await client.end();
  console.log(
    `predecessor database: ${rows[0].conversations} conversations, ${rows[0].messages} messages, ${rows[0].size} (loaded in ${((Date.now() - loading) / 1000).toFixed(1)} s)`,
  );
  for (const args of [['--dry-run'], ['--batch-size', values['batch-size']!]]) {
    const started = Date.now();
    const output = await setup(args);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `\n$ npm run db:setup -- ${args.join(' ')}   (${seconds.toFixed(1)} s, ${Math.round(rows[0].messages / seconds)} messages/s)`,
    );
    console.log(output.trim());
  }
}

function setup(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join('src', 'cli', 'db-setup.ts'), ...args],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '',
          POSTGRES_HOST: BENCH_SERVER.host,
          POSTGRES_PORT: String(BENCH_SERVER.port),
          POSTGRES_USER: BENCH_SERVER.user,
          POSTGRES_PASSWORD: BENCH_SERVER.password,
          POSTGRES_DB: DATABASE,
        },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${stdout}${stderr}`)) : resolve(stdout + stderr),
    );
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
