import { createClient, createSentinel } from '@keyv/redis';
import { existsSync } from 'node:fs';
import { acceptsConnections } from './support/ports';
import { redisCli } from './support/redis-server';
import { TestRedisSentinel } from './support/redis-sentinel';

/** Writes on this port and waits until its replica has it too. */
async function writeReplicated(port: number, key: string, value: string): Promise<void> {
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.set(key, value);
    expect(await client.sendCommand(['WAIT', '1', '2000'])).toBe(1);
  } finally {
    client.destroy();
  }
}

describe('a test-owned Redis with Sentinel: a primary, a replica, three sentinels', () => {
  let setup: TestRedisSentinel;

  beforeAll(async () => {
    setup = await TestRedisSentinel.start();
  }, 60_000);

  afterAll(async () => {
    await setup?.stop();
  });

  it('promotes the replica when the primary is killed, and takes the old one back as a replica', async () => {
    const primary = await setup.primaryPort();
    await writeReplicated(primary, '{u:2}:version', 'survives');
    const promoted = await setup.killPrimary();
    expect(promoted).not.toBe(primary);
    expect(await redisCli(promoted, ['get', '{u:2}:version'])).toBe('survives');
    await setup.restart(primary);
    expect(await redisCli(primary, ['role'])).toMatch(/^slave\n/);
    expect(await redisCli(primary, ['get', '{u:2}:version'])).toBe('survives');
  }, 60_000);

  it('fails over on request: the replica becomes primary with every acknowledged write', async () => {
    const primary = await setup.primaryPort();
    await writeReplicated(primary, '{u:1}:version', 'before');
    const promoted = await setup.failover();
    expect(promoted).not.toBe(primary);
    expect(await redisCli(promoted, ['get', '{u:1}:version'])).toBe('before');
    expect(await redisCli(promoted, ['set', '{u:1}:version', 'after'])).toBe('OK');
    // A Sentinel client finds the primary through the sentinels.
    const client = createSentinel({
      name: TestRedisSentinel.NAME,
      sentinelRootNodes: setup.sentinels,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      expect(await client.get('{u:1}:version')).toBe('after');
    } finally {
      client.destroy();
    }
  }, 60_000);

  it('stops every server and sentinel it started and removes their files', async () => {
    await setup.stop();
    for (const port of setup.ports) expect(await acceptsConnections(port)).toBe(false);
    expect(existsSync(setup.dir)).toBe(false);
  });
});
