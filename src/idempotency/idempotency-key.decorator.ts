import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LIMITS } from '../common/limits';

const VISIBLE_ASCII = new RegExp(`^[\\x21-\\x7e]{1,${LIMITS.idempotencyKeyLength}}$`);

/** The `Idempotency-Key` header (1..255 visible ASCII characters), or undefined when absent. */
export const IdempotencyKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined => {
    const value = context.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !VISIBLE_ASCII.test(value)) {
      throw new BadRequestException(
        `Idempotency-Key must be 1 to ${LIMITS.idempotencyKeyLength} visible ASCII characters`,
      );
    }
    return value;
  },
);
