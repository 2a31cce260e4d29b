import { randomBytes } from 'node:crypto';

export type IdPrefix = 'conv' | 'msg';

/**
 * `conv_`/`msg_` and 128 bits in hex: 48 bits of milliseconds (so ids sort by creation time and
 * index well) and 80 random bits from the OS CSPRNG (so they cannot be guessed). 37 characters.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, '0').slice(-12);
  return `${prefix}_${time}${randomBytes(10).toString('hex')}`;
}
