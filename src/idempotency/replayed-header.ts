import type { FastifyReply } from 'fastify';
import type { IdempotentResult } from './idempotency.service';

/** Says `Idempotent-Replayed: true` when the answer is the stored one of an earlier request. */
export function markReplayed<T>(reply: FastifyReply, result: IdempotentResult<T>): T {
  if (result.replayed) reply.header('Idempotent-Replayed', 'true');
  return result.body;
}
