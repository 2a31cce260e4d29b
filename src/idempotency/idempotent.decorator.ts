import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { LIMITS } from '../common/limits';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** The route accepts `Idempotency-Key`: a retry with the same key replays the first answer. */
export function Idempotent(): MethodDecorator {
  return applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: `1..${LIMITS.idempotencyKeyLength} visible ASCII characters; kept 24 hours. A retry with the same key, method, path and body replays the first answer (Idempotent-Replayed: true); another request under the key: 422; while the first runs: 409`,
    }),
  );
}
