import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { IdempotencyRepository } from './idempotency.repository';

export interface IdempotentRequest {
  userId: number;
  /** The `Idempotency-Key` header, when the caller sent one. */
  key?: string;
  method: string;
  path: string;
  body: unknown;
}

export interface IdempotentResult<T> {
  body: T;
  replayed: boolean;
}

const CREATED = 201;

/**
 * Runs a write in a transaction; with an `Idempotency-Key`, the key and the answer are stored in
 * that same transaction, a retry gets the first answer back and writes nothing, a different
 * request under the same key gets 422, and a retry racing the first gets 409.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: IdempotencyRepository,
  ) {}

  run<T extends object>(
    request: IdempotentRequest,
    write: (manager: EntityManager) => Promise<T>,
  ): Promise<IdempotentResult<T>> {
    return this.dataSource.transaction(async (manager) => {
      const { key, userId } = request;
      if (key === undefined) return { body: await write(manager), replayed: false };
      if (!(await this.records.tryLock(manager, userId, key))) {
        throw new ConflictException('a request with this Idempotency-Key is still in progress');
      }
      const fingerprint = fingerprintOf(request);
      const previous = await this.records.findLive(manager, userId, key);
      if (previous) {
        if (previous.requestFingerprint !== fingerprint) {
          throw new UnprocessableEntityException(
            'Idempotency-Key was already used for a different request',
          );
        }
        return { body: previous.responseBody as T, replayed: true };
      }
      const body = await write(manager);
      await this.records.insert(manager, {
        userId,
        key,
        requestFingerprint: fingerprint,
        statusCode: CREATED,
        responseBody: body,
      });
      return { body, replayed: false };
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
