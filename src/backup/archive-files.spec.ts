import { archiveName, archivesOf, parseArchiveName, temporaryPath } from './archive-files';

describe('archive names', () => {
  it('stamps the UTC second, so that names sort as the backups were taken', () => {
    expect(archiveName('conversations', new Date('2026-03-04T05:06:07.890Z'))).toBe(
      'conversations-20260304T050607Z.dump',
    );
  });

  it('finds the archives of one database only, oldest first, whatever else the directory holds', () => {
    const names = [
      'conversations-20260103T000000Z.dump',
      'conversations-20260101T000000Z.dump',
      'conversations-20260101T000000Z.dump.sha256',
      'conversations-20260101T000000Z.dump.manifest.json',
      '.conversations-20260104T000000Z.dump.partial',
      'conversations_archive-20260102T000000Z.dump',
      'conversations-x-20260102T000000Z.dump',
      'conversations-2026.dump',
      'other-20250101T000000Z.dump',
    ];
    expect(archivesOf('conversations', names)).toEqual([
      'conversations-20260101T000000Z.dump',
      'conversations-20260103T000000Z.dump',
    ]);
    expect(parseArchiveName('/b/conversations-x-20260102T030405Z.dump')).toEqual({
      database: 'conversations-x',
      takenAt: new Date('2026-01-02T03:04:05Z'),
    });
    expect(parseArchiveName('/b/notes.txt')).toBeUndefined();
  });

  it('writes in progress under a hidden name in the same directory (a rename then publishes it)', () => {
    expect(temporaryPath('/backups/db-20260101T000000Z.dump')).toBe(
      '/backups/.db-20260101T000000Z.dump.partial',
    );
  });
});
