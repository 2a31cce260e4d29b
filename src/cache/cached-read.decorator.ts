import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const CACHED_READ = Symbol('CACHED_READ');
export const INVALIDATES_CACHE = Symbol('INVALIDATES_CACHE');

/** Names the cached read a request is, or null when this request is not one (a later page). */
export type ReadKey = (request: FastifyRequest) => string | null;

/** Serve this route from the caller's cache when it holds the answer (`X-Cache: HIT|MISS`). */
export const CachedRead = (key: ReadKey): MethodDecorator => SetMetadata(CACHED_READ, key);

/** A successful call changes what the caller's cached reads would answer. */
export const InvalidatesCache = (): MethodDecorator => SetMetadata(INVALIDATES_CACHE, true);
