import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Transactions } from '../database/transactions';
import { IdempotencyRepository, KeyInUseError } from './idempotency.repository';

export interface IdempotentRequest {
  userId: number;
  /** The `Idempotency-Key` header. */
  key: string;
  method: string;
  path: string;
  body: unknown;
  /** The status the route answers on success, stored with the answer for replays. */
  statusCode: number;
}

export interface IdempotentResult {
  body: unknown;
  statusCode: number;
  replayed: boolean;
}

/**
 * Runs a keyed write in one transaction with its idempotency record: a retry gets the first answer
 * back and writes nothing, a different request under the same key gets 422, and a retry racing the
 * first gets 409.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly transactions: Transactions,
    private readonly records: IdempotencyRepository,
  ) {}

  run(request: IdempotentRequest, write: () => Promise<unknown>): Promise<IdempotentResult> {
    return this.transactions.withTransaction(async () => {
      const { userId, key, statusCode } = request;
      const fingerprint = fingerprintOf(request);
      const previous = await this.records.claim(userId, key, fingerprint).catch((error) => {
        if (error instanceof KeyInUseError) {
          throw new ConflictException('a request with this Idempotency-Key is still in progress');
        }
        throw error;
      });
      if (previous) {
        if (previous.requestFingerprint !== fingerprint) {
          throw new UnprocessableEntityException(
            'Idempotency-Key was already used for a different request',
          );
        }
        return { body: previous.responseBody, statusCode: previous.statusCode, replayed: true };
      }
      const body = await write();
      await this.records.complete(userId, key, { statusCode, responseBody: body as object });
      return { body, statusCode, replayed: false };
    });
  }
}

function fingerprintOf({ method, path, body }: IdempotentRequest): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

/** JSON with object keys sorted, so that a retry serialized in another key order still matches. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
