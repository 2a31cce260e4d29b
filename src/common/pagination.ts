import { BadRequestException } from '@nestjs/common';
import type { PageQueryDto } from './page-query.dto';

export type PageRequest =
  | { kind: 'offset'; limit: number; offset: number }
  | { kind: 'cursor'; limit: number; cursor: string };

/** Refuses a query that names more than one of `keys` (ways of choosing a page). */
export function assertAtMostOne<T extends object>(
  query: T,
  keys: ReadonlyArray<keyof T & string>,
): void {
  const given = keys.filter((key) => query[key] !== undefined);
  if (given.length > 1) {
    throw new BadRequestException(`${given.join(' and ')} cannot be combined: send one of them`);
  }
}

/** One of `page`, `offset` and `cursor`, as an offset or a cursor; none is page 1. */
export function toPageRequest(query: PageQueryDto, limit: number): PageRequest {
  assertAtMostOne(query, ['page', 'offset', 'cursor']);
  if (query.cursor !== undefined) return { kind: 'cursor', limit, cursor: query.cursor };
  const offset = query.offset ?? ((query.page ?? 1) - 1) * limit;
  return { kind: 'offset', limit, offset };
}

/** The 1-based page an offset falls on; null for cursor pages, which have no number. */
export function pageNumber(request: PageRequest): number | null {
  return request.kind === 'offset' ? pageOf(request.offset, request.limit) : null;
}

export function pageOf(offset: number, limit: number): number {
  return Math.floor(offset / limit) + 1;
}

export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor`, checked field by field: a bad one is a 400. */
export function decodeCursor<T>(
  cursor: string,
  parse: (value: Record<string, unknown>) => T | null,
): T {
  let position: T | null = null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object') position = parse(value as Record<string, unknown>);
  } catch {
    position = null;
  }
  if (position === null)
    throw new BadRequestException('cursor is not a cursor this service issued');
  return position;
}
