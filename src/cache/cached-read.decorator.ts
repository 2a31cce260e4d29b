import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const CACHED_READ = Symbol('CACHED_READ');
export const CACHE_STORABLE = Symbol('CACHE_STORABLE');
export const INVALIDATES_CACHE = Symbol('INVALIDATES_CACHE');

/** Names the cached read a request is, or null when this request is not one (a later page). */
export type ReadKey = (request: FastifyRequest) => string | null;

export interface CachedReadOptions<T> {
  /**
   * Whether an answer may be stored: one that changes without a write that invalidates (a message
   * still streaming) is served, never stored. Default: every answer.
   */
  storable?: (answer: T) => boolean;
}

/**
 * Serve this route from the caller's cache when it holds the answer (`X-Cache: HIT|MISS`), with an
 * `ETag`; `If-None-Match` holding it answers 304.
 */
export function CachedRead<T>(key: ReadKey, options: CachedReadOptions<T> = {}): MethodDecorator {
  return applyDecorators(
    SetMetadata(CACHED_READ, key),
    ...(options.storable ? [SetMetadata(CACHE_STORABLE, options.storable)] : []),
  );
}

export interface InvalidatesCacheOptions {
  /** Requests of the route that change no cached read (a delta of a streaming message). */
  unless?: (request: FastifyRequest) => boolean;
}

/** A successful call changes what the caller's cached reads would answer. */
export const InvalidatesCache = (options: InvalidatesCacheOptions = {}): MethodDecorator =>
  SetMetadata(INVALIDATES_CACHE, options);
