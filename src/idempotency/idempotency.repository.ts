import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IdempotencyRecord } from './idempotency-record.entity';

export const IDEMPOTENCY_KEY_LIFETIME = '24 hours';

@Injectable()
export class IdempotencyRepository {
  /**
   * Takes the transaction-scoped lock of (user, key) without waiting: false means another request
   * with the same key is running right now.
   */
  async tryLock(manager: EntityManager, userId: number, key: string): Promise<boolean> {
    const [{ locked }] = await manager.query(
      `SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS locked`,
      [userId, key],
    );
    return locked;
  }

  /** The live record of this key, after dropping the user's records older than their lifetime. */
  async findLive(
    manager: EntityManager,
    userId: number,
    key: string,
  ): Promise<IdempotencyRecord | null> {
    await manager.query(
      `DELETE FROM idempotency_keys
       WHERE user_id = $1 AND created_at <= now() - interval '${IDEMPOTENCY_KEY_LIFETIME}'`,
      [userId],
    );
    return manager.findOneBy(IdempotencyRecord, { userId, key });
  }

  async insert(
    manager: EntityManager,
    record: Omit<IdempotencyRecord, 'createdAt'>,
  ): Promise<void> {
    await manager.insert(IdempotencyRecord, record);
  }
}
