import { RefusedTokenLimiter } from './refused-token-limiter';

describe('RefusedTokenLimiter', () => {
  let now: number;
  let limiter: RefusedTokenLimiter;

  beforeEach(() => {
    now = 1_000_000;
    limiter = new RefusedTokenLimiter(3, () => now);
  });

  it('lets an address try until it has been refused the limit within a minute', () => {
    limiter.refused('10.0.0.1');
    limiter.refused('10.0.0.1');
    expect(limiter.waitSeconds('10.0.0.1')).toBe(0);
    limiter.refused('10.0.0.1');
    now += 15_000;
    expect(limiter.waitSeconds('10.0.0.1')).toBe(45);
    expect(limiter.waitSeconds('10.0.0.2')).toBe(0);
  });

  it('opens a new window once the minute is over', () => {
    for (let i = 0; i < 3; i += 1) limiter.refused('10.0.0.1');
    now += 60_000;
    expect(limiter.waitSeconds('10.0.0.1')).toBe(0);
    limiter.refused('10.0.0.1');
    expect(limiter.waitSeconds('10.0.0.1')).toBe(0);
  });
});
