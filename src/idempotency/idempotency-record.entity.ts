import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../common/json';

/**
 * An `Idempotency-Key` and the answer it produced, written in the same transaction as the write it
 * protects, so that no cache outage or retry can store a message twice.
 */
@Entity({ name: 'idempotency_keys' })
@Index('idx_idempotency_keys_created_at', ['createdAt'])
@Check('chk_idempotency_keys_status', '"status_code" BETWEEN 100 AND 599')
export class IdempotencyRecord {
  @PrimaryColumn({
    name: 'user_id',
    type: 'integer',
    primaryKeyConstraintName: 'pk_idempotency_keys',
  })
  userId!: number;

  @PrimaryColumn({ type: 'varchar', length: 255, primaryKeyConstraintName: 'pk_idempotency_keys' })
  key!: string;

  @Column({ name: 'request_fingerprint', type: 'char', length: 64 })
  requestFingerprint!: string;

  @Column({ name: 'status_code', type: 'integer' })
  statusCode!: number;

  @Column({ name: 'response_body', type: 'jsonb' })
  responseBody!: JsonObject;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
