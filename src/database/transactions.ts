import { Injectable } from '@nestjs/common';
import { InjectTransactionHost, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsService } from 'nestjs-cls';
import type { EntityManager } from 'typeorm';

/** Where the current request reads outside transactions: decided once per request (read routing). */
export interface ReadTarget {
  /** A read replica's manager; undefined: the primary's. */
  readonly manager: EntityManager | undefined;
}

/** The request's `ReadTarget` in the nestjs-cls context; absent: the primary. */
export const READ_TARGET = Symbol('READ_TARGET');
/** The manager of a read-only transaction opened on the request's read target. */
const READ_TRANSACTION = Symbol('READ_TRANSACTION');

/**
 * How repositories reach the database. `tx` is the entity manager of the transaction the caller
 * opened (`@Transactional()`, `withTransaction`, or the idempotency interceptor around a whole
 * write), which is always on the primary; outside one, the manager of wherever the current request
 * reads from: a read replica for a read that may use one (read-routing/), else the primary.
 * Inject it by type: `constructor(private readonly transactions: Transactions)`.
 */
@Injectable()
export class Transactions {
  constructor(
    @InjectTransactionHost() private readonly host: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly cls: ClsService,
  ) {}

  get tx(): EntityManager {
    if (this.host.isTransactionActive() || !this.cls.isActive()) return this.host.tx;
    return (
      this.cls.get<EntityManager | undefined>(READ_TRANSACTION) ??
      this.cls.get<ReadTarget | undefined>(READ_TARGET)?.manager ??
      this.host.tx
    );
  }

  /** Runs `work` in a transaction on the primary (joining the caller's, if one is open). */
  withTransaction<T>(work: () => Promise<T>): Promise<T> {
    return this.host.withTransaction(work);
  }

  /**
   * Runs `work`, which only reads, in one transaction on the request's read target (for `SET
   * LOCAL` settings or one snapshot over several statements); inside a transaction already open,
   * in that one.
   */
  withReadTransaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.cls.isActive() && this.cls.get(READ_TRANSACTION)) return work();
    const replica = this.cls.isActive()
      ? this.cls.get<ReadTarget | undefined>(READ_TARGET)?.manager
      : undefined;
    if (!replica || this.host.isTransactionActive()) return this.host.withTransaction(work);
    return replica.transaction((manager) =>
      this.cls.run({ ifNested: 'inherit' }, () => {
        this.cls.set(READ_TRANSACTION, manager);
        return work();
      }),
    );
  }
}
