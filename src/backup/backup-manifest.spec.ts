import { BackupError } from './backup-error';
import { parseManifest, type BackupManifest } from './backup-manifest';

const MANIFEST: BackupManifest = {
  format: 1,
  archive: 'db-20260101T000000Z.dump',
  archiveBytes: 1234,
  database: { name: 'db', encoding: 'UTF8', collate: 'C.UTF-8', ctype: 'C.UTF-8' },
  serverVersion: '15.20',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.500Z',
  tables: { 'public.conversations': 3, 'public.messages': 6 },
};

describe('parseManifest', () => {
  it('reads back what db:backup writes', () => {
    expect(parseManifest(JSON.stringify(MANIFEST, null, 2), 'm.json')).toEqual(MANIFEST);
  });

  it.each([
    ['not JSON', '{', 'm.json is not valid JSON'],
    ['another format', { ...MANIFEST, format: 2 }, 'unknown format 2'],
    ['no size', { ...MANIFEST, archiveBytes: '1234' }, 'no archive size'],
    ['no locale', { ...MANIFEST, database: { name: 'db' } }, 'no database name, encoding'],
    ['a negative count', { ...MANIFEST, tables: { 'public.messages': -1 } }, 'no row counts'],
    ['a fractional count', { ...MANIFEST, tables: { 'public.messages': 1.5 } }, 'no row counts'],
  ])('refuses %s, saying what is wrong', (_, value, message) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    expect(() => parseManifest(text, 'm.json')).toThrow(BackupError);
    expect(() => parseManifest(text, 'm.json')).toThrow(message);
  });
});
