import { resolveWindow, utcDay } from './stats-window';

const NOW = new Date('2026-12-10T23:30:00+09:00'); // 14:30 UTC: still the 10th in UTC

describe('the agents stats window', () => {
  it('defaults to the last 7 UTC days, today included', () => {
    expect(resolveWindow({}, NOW)).toEqual({ from: '2026-12-04', to: '2026-12-10' });
    expect(resolveWindow({ to: '2026-03-02' }, NOW)).toEqual({
      from: '2026-02-24',
      to: '2026-03-02',
    });
    expect(resolveWindow({ from: '2026-12-01' }, NOW)).toEqual({
      from: '2026-12-01',
      to: '2026-12-10',
    });
  });

  it('takes a single day and at most 92 days, both ends included', () => {
    expect(resolveWindow({ from: '2026-12-01', to: '2026-12-01' }, NOW)).toEqual({
      from: '2026-12-01',
      to: '2026-12-01',
    });
    expect(resolveWindow({ from: '2026-09-01', to: '2026-12-01' }, NOW)).toEqual({
      from: '2026-09-01',
      to: '2026-12-01',
    });
    expect(() => resolveWindow({ from: '2026-08-31', to: '2026-12-01' }, NOW)).toThrow(
      'from and to span at most 92 days',
    );
  });

  it('refuses from after to, and anything but a calendar day, naming the field', () => {
    expect(() => resolveWindow({ from: '2026-12-02', to: '2026-12-01' }, NOW)).toThrow(
      'from must not be after to',
    );
    for (const bad of ['2026-02-30', '2026-12-01T00:00:00Z', '20261201', 'yesterday', '']) {
      expect(() => resolveWindow({ from: bad, to: '2026-12-01' }, NOW)).toThrow(
        'from must be a calendar day, YYYY-MM-DD (UTC)',
      );
      expect(() => resolveWindow({ to: bad }, NOW)).toThrow(
        'to must be a calendar day, YYYY-MM-DD (UTC)',
      );
    }
  });

  it('keys a time by its UTC day', () => {
    expect(utcDay(new Date('2026-12-01T08:59:59+09:00'))).toBe('2026-11-30');
    expect(utcDay(new Date('2026-12-01T09:00:00+09:00'))).toBe('2026-12-01');
  });
});
