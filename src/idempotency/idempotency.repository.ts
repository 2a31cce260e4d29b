import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { poolTimeouts } from '../database/data-source-options';
import { queryRows } from '../database/query-rows';
import { Transactions } from '../database/transactions';
import { IdempotencyRecord } from './idempotency-record.entity';

export const IDEMPOTENCY_KEY_LIFETIME = '24 hours';

/**
 * How long a retry waits for the request that holds its key before answering 409: long enough
 * for a quick first request to finish (the retry then replays it), short enough never to queue.
 */
const CLAIM_WAIT = '100ms';

export class KeyInUseError extends Error {}

/** Every query on `idempotency_keys`; all run in the write's own transaction. */
@Injectable()
export class IdempotencyRepository {
  private readonly lockTimeout: string;

  constructor(
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.lockTimeout = `${poolTimeouts(config.postgres.statementTimeoutMs).lockTimeoutMs}ms`;
  }

  /**
   * Claims (user, key) for this transaction by writing its row: a new key, or one whose record
   * has outlived its lifetime. The row's primary key is the lock, so only the exact same key of
   * the same user can conflict. Null when claimed; otherwise the live record of an earlier
   * request. `KeyInUseError` when another transaction holds the key right now.
   */
  async claim(userId: number, key: string, fingerprint: string): Promise<IdempotencyRecord | null> {
    const manager = this.transactions.tx;
    await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [CLAIM_WAIT]);
    let claimed: unknown[];
    try {
      // The placeholder answer is replaced before commit: no other transaction ever sees it.
      claimed = await queryRows(
        manager,
        `INSERT INTO idempotency_keys (user_id, key, request_fingerprint, status_code, response_body)
         VALUES ($1, $2, $3, 201, '{}')
         ON CONFLICT (user_id, key) DO UPDATE
           SET request_fingerprint = EXCLUDED.request_fingerprint, created_at = now()
           WHERE idempotency_keys.created_at <= now() - interval '${IDEMPOTENCY_KEY_LIFETIME}'
         RETURNING user_id`,
        [userId, key, fingerprint],
      );
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === '55P03') {
        throw new KeyInUseError();
      }
      throw error;
    }
    await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [this.lockTimeout]);
    if (claimed.length > 0) return null;
    return manager.findOneByOrFail(IdempotencyRecord, { userId, key });
  }

  /** Stores the answer of the request that claimed the key. */
  async complete(
    userId: number,
    key: string,
    answer: { statusCode: number; responseBody: object },
  ): Promise<void> {
    await this.transactions.tx.query(
      `UPDATE idempotency_keys SET status_code = $3, response_body = $4::jsonb, created_at = now()
       WHERE user_id = $1 AND key = $2`,
      [userId, key, answer.statusCode, JSON.stringify(answer.responseBody)],
    );
  }
}
