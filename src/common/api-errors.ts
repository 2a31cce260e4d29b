import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
  },
};

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; the message names the field',
  401: 'Missing, expired or invalid bearer token',
  403: "A user_id other than the token's, or a role the token's scope does not allow",
  404: "Unknown id, another user's conversation, or a deleted one (all answer alike)",
  409: 'A request with the same Idempotency-Key is still running',
  413: 'Body larger than 1 MB',
  422: 'Idempotency-Key reused for a different request',
  429: 'Rate limit of the user exceeded; retry after the Retry-After seconds',
  503: 'PostgreSQL unavailable or too slow; retry after the Retry-After seconds',
};

/** Documents the error answers a route can give, in NestJS's error shape. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], schema: ERROR_SCHEMA }),
    ),
  );
}
