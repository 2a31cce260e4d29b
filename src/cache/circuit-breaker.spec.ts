import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now: number;
  let breaker: CircuitBreaker;

  beforeEach(() => {
    now = 1_000;
    breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 5_000, now: () => now });
  });

  it('stays closed below the failure threshold and resets on success', () => {
    breaker.failed();
    breaker.failed();
    breaker.succeeded();
    breaker.failed();
    breaker.failed();
    expect(breaker.allows()).toBe(true);
    expect(breaker.isOpen).toBe(false);
  });

  it('opens after consecutive failures and refuses calls until the open period ends', () => {
    for (let i = 0; i < 3; i += 1) breaker.failed();
    expect(breaker.isOpen).toBe(true);
    expect(breaker.allows()).toBe(false);
    now += 4_999;
    expect(breaker.allows()).toBe(false);
  });

  it('lets exactly one trial call through when half-open; its success closes the breaker', () => {
    for (let i = 0; i < 3; i += 1) breaker.failed();
    now += 5_000;
    expect(breaker.allows()).toBe(true);
    expect(breaker.allows()).toBe(false);
    breaker.succeeded();
    expect(breaker.isOpen).toBe(false);
    expect(breaker.allows()).toBe(true);
  });

  it('opens again at once when the trial call fails', () => {
    for (let i = 0; i < 3; i += 1) breaker.failed();
    now += 5_000;
    expect(breaker.allows()).toBe(true);
    breaker.failed();
    expect(breaker.allows()).toBe(false);
    now += 5_000;
    expect(breaker.allows()).toBe(true);
  });
});
