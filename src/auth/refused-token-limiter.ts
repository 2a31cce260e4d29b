/** Addresses remembered at most; the oldest window is forgotten first. */
const ADDRESSES_KEPT = 10_000;
const WINDOW_MS = 60_000;

/**
 * Refused tokens per client address, in fixed one-minute windows, on this replica: past the
 * limit an address gets 429 before its next token is checked, so that a flood of forged tokens
 * cannot keep the signature check busy. Tokens already verified are not affected.
 */
export class RefusedTokenLimiter {
  private readonly windows = new Map<string, { start: number; refused: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the address must wait before a token of its is checked again; 0 when it need not. */
  waitSeconds(address: string): number {
    const window = this.windows.get(address);
    if (!window || this.now() - window.start >= WINDOW_MS || window.refused < this.perMinute) {
      return 0;
    }
    return Math.max(1, Math.ceil((window.start + WINDOW_MS - this.now()) / 1000));
  }

  refused(address: string): void {
    const now = this.now();
    const window = this.windows.get(address);
    if (window && now - window.start < WINDOW_MS) {
      window.refused += 1;
      return;
    }
    this.windows.delete(address);
    if (this.windows.size >= ADDRESSES_KEPT) {
      this.windows.delete(this.windows.keys().next().value as string);
    }
    this.windows.set(address, { start: now, refused: 1 });
  }
}
