import { createHash } from 'node:crypto';

/** A strong tag of an answer's exact bytes: the same text on every replica has the same tag. */
export function entityTag(text: string): string {
  return `"${createHash('sha256').update(text).digest('base64url')}"`;
}

/**
 * Whether `If-None-Match` names `tag`: `*`, or a list of tags compared weakly (RFC 9110 13.1.2),
 * so that `W/"x"` matches `"x"`.
 */
export function matchesIfNoneMatch(header: string | string[] | undefined, tag: string): boolean {
  if (header === undefined) return false;
  const values = Array.isArray(header) ? header.join(',') : header;
  if (values.trim() === '*') return true;
  return values
    .split(',')
    .map((value) => value.trim().replace(/^W\//, ''))
    .some((value) => value === tag);
}
