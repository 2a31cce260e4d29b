import { randomBytes } from 'node:crypto';

export type IdPrefix = 'conv' | 'msg' | 'erasure';

/**
 * `conv_`/`msg_` (or `erasure_` for an erasure receipt) and 128 bits in hex: 48 bits of milliseconds (so ids sort by creation time and
 * index well) and 80 random bits from the OS CSPRNG (so they cannot be guessed). 37 characters.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, '0').slice(-12);
  return `${prefix}_${time}${randomBytes(10).toString('hex')}`;
}

/**
 * Whether a path segment can name a stored row: ours and the predecessor's ids (`conv_...`,
 * `sample_conv_001`, `system_init_1732000000.123`) are 1..50 letters, digits, `_`, `-` and `.`.
 */
export function isStorableId(value: string): boolean {
  return /^[A-Za-z0-9_.-]{1,50}$/.test(value);
}
