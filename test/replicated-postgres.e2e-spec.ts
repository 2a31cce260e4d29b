import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { ReplicatedPostgres } from './support/replicated-postgres';
import { acceptsConnections } from './support/ports';

const DELAY_MS = 1500;

/** Runs one statement on a node's `postgres` database. */
async function on(
  node: { endpoint: { host: string; port: number; user: string; password: string } },
  sql: string,
  params: unknown[] = [],
): Promise<Array<Record<string, unknown>>> {
  const client = new Client({ ...node.endpoint, database: 'postgres' });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('a test-owned primary and streaming replica (recovery_min_apply_delay 1.5 s)', () => {
  let pair: ReplicatedPostgres;

  beforeAll(async () => {
    pair = await ReplicatedPostgres.create({ applyDelayMs: DELAY_MS });
    await on(pair.primary, 'CREATE TABLE notes (id int PRIMARY KEY, body text)');
    await pair.waitForReplay(await pair.primaryLsn());
  }, 60_000);

  afterAll(async () => {
    await pair?.destroy();
  });

  it('applies a commit on the replica no sooner than the delay, and measures the lag meanwhile', async () => {
    await on(pair.primary, `INSERT INTO notes VALUES (1, 'first')`);
    const written = await pair.primaryLsn();
    expect(await pair.hasReplayed(written)).toBe(false);
    expect(await on(pair.replica, 'SELECT body FROM notes WHERE id = 1')).toEqual([]);
    const lag = await pair.lag();
    expect(lag.bytes).toBeGreaterThan(0);
    const waited = await pair.waitForReplay(written);
    expect(waited).toBeGreaterThan(DELAY_MS - 300);
    expect(waited).toBeLessThan(DELAY_MS + 3000);
    expect(await on(pair.replica, 'SELECT body FROM notes WHERE id = 1')).toEqual([
      { body: 'first' },
    ]);
    expect(await pair.lag()).toEqual({ bytes: 0, ms: 0 });
  });

  it('answers reads as a hot standby and refuses writes', async () => {
    await expect(on(pair.replica, `INSERT INTO notes VALUES (2, 'x')`)).rejects.toMatchObject({
      code: '25006',
    });
    expect(await on(pair.replica, 'SELECT pg_is_in_recovery() AS standby')).toEqual([
      { standby: true },
    ]);
  });

  it('can be stopped while the primary takes writes, and catches up once started again', async () => {
    await pair.stopReplica();
    await expect(on(pair.replica, 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await on(pair.primary, `INSERT INTO notes VALUES (3, 'while it was down')`);
    const written = await pair.primaryLsn();
    await pair.startReplica();
    await pair.waitForReplay(written);
    expect(await on(pair.replica, 'SELECT body FROM notes WHERE id = 3')).toEqual([
      { body: 'while it was down' },
    ]);
  }, 30_000);

  it('stops both servers and removes their files', async () => {
    await pair.destroy();
    for (const node of [pair.primary, pair.replica]) {
      expect(await acceptsConnections(node.port)).toBe(false);
      expect(existsSync(node.dataDir)).toBe(false);
    }
  });
});
