import type { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

/**
 * The current transaction, carried by the request's async context: a repository's `tx` is the
 * entity manager of the transaction its caller opened (`@Transactional()`, or the idempotency
 * interceptor around a whole write), else the pool's own manager.
 */
export type Transactions = TransactionHost<TransactionalAdapterTypeOrm>;
