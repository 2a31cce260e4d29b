import type { RedisConnection } from '../../src/redis/redis-client';

/** Every key matching the pattern, from every primary (each master of a cluster): SCAN, never KEYS. */
export async function keysMatching(connection: RedisConnection, match: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of connection.scan(match)) keys.push(...batch);
  return keys;
}

/**
 * Deletes every key matching the pattern; one DEL per key, since the keys of a cluster may sit in
 * different slots. Resolves with how many there were.
 */
export async function deleteKeysMatching(
  connection: RedisConnection,
  match: string,
): Promise<number> {
  const keys = await keysMatching(connection, match);
  await Promise.all(keys.map((key) => connection.commands.del(key)));
  return keys.length;
}
