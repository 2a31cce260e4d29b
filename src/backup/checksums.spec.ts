import { checksumFileText, parseChecksumFile } from './checksums';

describe('checksum files', () => {
  it('reads back what it writes, in the format sha256sum -c checks', () => {
    const entries = [
      { name: 'db-20260101T000000Z.dump', sha256: 'a'.repeat(64) },
      { name: 'db-20260101T000000Z.dump.manifest.json', sha256: 'b'.repeat(64) },
    ];
    const text = checksumFileText(entries);
    expect(text).toBe(
      `${'a'.repeat(64)}  db-20260101T000000Z.dump\n${'b'.repeat(64)}  db-20260101T000000Z.dump.manifest.json\n`,
    );
    expect([...parseChecksumFile(text)]).toEqual(entries.map((e) => [e.name, e.sha256]));
  });

  it('accepts the binary-mode marker and CRLF, and ignores lines that are not checksums', () => {
    const parsed = parseChecksumFile(`# note\n${'c'.repeat(64)} *x.dump\r\nnot a line\n`);
    expect([...parsed]).toEqual([['x.dump', 'c'.repeat(64)]]);
  });
});
