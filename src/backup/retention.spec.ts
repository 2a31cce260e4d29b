import { archivesBeyond } from './retention';

const archive = (day: number): string => `db-202601${String(day).padStart(2, '0')}T000000Z.dump`;

describe('archivesBeyond', () => {
  it('deletes the oldest beyond the number kept, counting the new archive', () => {
    const archives = [1, 2, 3, 4, 5].map(archive);
    expect(archivesBeyond(archives, 3, archive(5))).toEqual([archive(1), archive(2)]);
    expect(archivesBeyond(archives, 5, archive(5))).toEqual([]);
    expect(archivesBeyond(archives, 14, archive(5))).toEqual([]);
    expect(archivesBeyond(archives, 1, archive(5))).toEqual(archives.slice(0, 4));
  });

  it('never deletes the archive just written, even when a clock gone wrong named others later', () => {
    const archives = [1, 2, 8, 9].map(archive);
    expect(archivesBeyond(archives, 2, archive(2))).toEqual([archive(1), archive(8)]);
  });
});
