import type { ClientBase } from 'pg';
import { buildConfig } from '../config/load-config';
import {
  describeConnectionFailure,
  isPermanentConnectionFailure,
  mapDatabaseError,
  ServerTimeoutsError,
} from './database-errors';
import { buildDataSourceOptions, looserServerTimeouts, poolTimeouts } from './data-source-options';

type PoolExtra = Record<string, unknown> & { onConnect?: (client: ClientBase) => Promise<void> };

const extraOf = (env: Record<string, string>): PoolExtra =>
  (
    buildDataSourceOptions(buildConfig({ POSTGRES_HOST: 'db', ...env }).postgres) as {
      extra: PoolExtra;
    }
  ).extra;

/** A connection whose only allowed call is the one settings query, answering `settings`. */
function serverWith(settings: Record<string, number>): ClientBase {
  const query = jest.fn(async (sql: string, params: unknown[]) => {
    expect(sql).toMatch(/FROM pg_settings WHERE name = ANY\(\$1\)/);
    const names = params[0] as string[];
    return {
      rows: names.filter((name) => name in settings).map((name) => ({ name, ms: settings[name] })),
    };
  });
  return { query } as unknown as ClientBase;
}

const ENFORCED = {
  statement_timeout: 5000,
  lock_timeout: 2500,
  idle_in_transaction_session_timeout: 10000,
};

describe('data-source options', () => {
  it('sends the timeouts as startup parameters on a direct connection', () => {
    const extra = extraOf({ POSTGRES_STATEMENT_TIMEOUT_MS: '4000' });
    expect(extra).toMatchObject({
      statement_timeout: 4000,
      lock_timeout: 2000,
      idle_in_transaction_session_timeout: 8000,
    });
    expect(extra.onConnect).toBeUndefined();
  });

  it('behind PgBouncer sends no timeout at connect (it refuses them) and checks the server instead', async () => {
    const extra = extraOf({ POSTGRES_POOLER: 'pgbouncer' });
    for (const name of Object.keys(ENFORCED)) expect(extra).not.toHaveProperty(name);
    expect(extra.application_name).toBe('model-chatbot-nestjs');
    await expect(extra.onConnect?.(serverWith(ENFORCED))).resolves.toBeUndefined();
  });

  it('refuses a pooled connection whose server enforces a looser timeout, or none', async () => {
    const extra = extraOf({ POSTGRES_POOLER: 'pgbouncer' });
    const refusal = extra.onConnect?.(
      serverWith({ ...ENFORCED, lock_timeout: 0, idle_in_transaction_session_timeout: 60000 }),
    );
    await expect(refusal).rejects.toBeInstanceOf(ServerTimeoutsError);
    await expect(refusal).rejects.toThrow(
      "the server's lock_timeout is off (at most 2500 ms configured), idle_in_transaction_session_timeout is 60000 ms (at most 10000 ms configured)",
    );
  });
});

describe('looserServerTimeouts', () => {
  const timeouts = poolTimeouts(5000);

  it('accepts a server as strict as configured or stricter', () => {
    expect(looserServerTimeouts(timeouts, ENFORCED)).toEqual([]);
    expect(
      looserServerTimeouts(timeouts, {
        statement_timeout: 1000,
        lock_timeout: 100,
        idle_in_transaction_session_timeout: 2000,
      }),
    ).toEqual([]);
  });

  it('names each setting that is missing, off or longer', () => {
    expect(looserServerTimeouts(timeouts, { statement_timeout: 5001, lock_timeout: 0 })).toEqual([
      'statement_timeout is 5001 ms (at most 5000 ms configured)',
      'lock_timeout is off (at most 2500 ms configured)',
      'idle_in_transaction_session_timeout is off (at most 10000 ms configured)',
    ]);
  });
});

describe('ServerTimeoutsError', () => {
  const error = new ServerTimeoutsError(['statement_timeout is off (at most 5000 ms configured)']);

  it('answers 503 to a request and stops the boot at once with its own message', () => {
    expect(mapDatabaseError(error)).toMatchObject({ status: 503, transient: true });
    expect(isPermanentConnectionFailure(error)).toBe(true);
    expect(describeConnectionFailure(error)).toBe(
      `POSTGRES_POOLER=pgbouncer, but the server's statement_timeout is off (at most 5000 ms configured): set them as database or role defaults (README, "PgBouncer")`,
    );
  });
});
