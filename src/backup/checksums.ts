import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * `sha256sum` format with names relative to the checksum file, so that `sha256sum -c` in the
 * archive's directory checks it by hand.
 */
export function checksumFileText(entries: ReadonlyArray<{ name: string; sha256: string }>): string {
  return entries.map(({ name, sha256 }) => `${sha256}  ${name}\n`).join('');
}

/** File name to expected SHA-256 (hex), from a `sha256sum` file; other lines are ignored. */
export function parseChecksumFile(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+?)\r?$/.exec(line);
    if (match) entries.set(match[2], match[1]);
  }
  return entries;
}
