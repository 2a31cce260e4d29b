/**
 * WAL positions (LSNs) as numbers that compare: PostgreSQL prints one as two hexadecimal halves
 * (`16/B374D848`); Redis keeps one as 16 hexadecimal digits, so that a script can compare two as
 * text (Lua's numbers cannot hold 64 bits).
 */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The greatest position there can be: "a write of unknown position", newer than any replay. */
export const UNKNOWN_POSITION = (1n << 64n) - 1n;

export function toStoredLsn(position: bigint): string {
  return position.toString(16).padStart(16, '0');
}

export function fromStoredLsn(text: string): bigint | null {
  return /^[0-9a-f]{16}$/.test(text) ? BigInt(`0x${text}`) : null;
}
