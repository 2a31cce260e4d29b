import type { Client } from 'pg';

/**
 * The advisory lock every replica and the CronJob take before purging: one bigint shared by all
 * (advisory locks are per database, so two databases on one server do not contend).
 */
export const PURGE_LOCK_KEY = '7309114815213110901';

/** True when this session now holds the lock; false when another session does. */
export async function tryPurgeLock(session: Client): Promise<boolean> {
  const { rows } = await session.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1::bigint) AS locked',
    [PURGE_LOCK_KEY],
  );
  return rows[0].locked;
}

export async function releasePurgeLock(session: Client): Promise<void> {
  await session.query('SELECT pg_advisory_unlock($1::bigint)', [PURGE_LOCK_KEY]);
}
