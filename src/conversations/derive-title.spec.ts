import { DEFAULT_TITLE, deriveTitle } from './derive-title';

describe('deriveTitle', () => {
  it('takes the first non-blank line, trimmed', () => {
    expect(deriveTitle('\n   \n  관세율 조회는 어떻게 하나요?  \n두 번째 줄')).toBe(
      '관세율 조회는 어떻게 하나요?',
    );
    expect(deriveTitle('first\r\nsecond')).toBe('first');
  });

  it('falls back to 새 대화 without a message or with only blank lines', () => {
    expect(deriveTitle(undefined)).toBe(DEFAULT_TITLE);
    expect(deriveTitle(' \n\t\n ')).toBe(DEFAULT_TITLE);
    expect(DEFAULT_TITLE).toBe('새 대화');
  });

  it('keeps a line of exactly 50 characters whole and cuts a 51-character one to 50 with ...', () => {
    const fifty = '가'.repeat(50);
    expect(deriveTitle(fifty)).toBe(fifty);
    const cut = deriveTitle('나'.repeat(51));
    expect(cut).toBe(`${'나'.repeat(47)}...`);
    expect(cut).toHaveLength(50);
  });

  it('never ends a cut inside a surrogate pair, nor on a space before the ...', () => {
    const emoji = `${'a'.repeat(46)}😀${'b'.repeat(10)}`;
    expect(deriveTitle(emoji)).toBe(`${'a'.repeat(46)}...`);
    expect(deriveTitle(`${'a'.repeat(45)}  ${'b'.repeat(10)}`)).toBe(`${'a'.repeat(45)}...`);
  });
});
