export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long it stays open before one trial call is let through. */
  openMs: number;
  now?: () => number;
}

/**
 * Stops calling a failing dependency for a while, so that each request does not pay its timeout:
 * closed (calls pass), open (calls skipped until `openMs` has passed), then half-open (one trial
 * call; success closes, failure opens again).
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether a call may be made now; in half-open state only one caller gets true. */
  allows(): boolean {
    if (this.openedAt === null) return true;
    if (this.now() - this.openedAt < this.options.openMs || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  succeeded(): void {
    this.failures = 0;
    this.openedAt = null;
    this.trialInFlight = false;
  }

  failed(): void {
    this.failures += 1;
    this.trialInFlight = false;
    if (this.openedAt !== null || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
    }
  }

  get isOpen(): boolean {
    return this.openedAt !== null;
  }
}
