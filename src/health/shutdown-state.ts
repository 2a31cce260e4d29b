import { Injectable } from '@nestjs/common';

/** Past the drain, closing may take this long before the process gives up waiting and exits 1. */
export const CLOSE_DEADLINE_MS = 10_000;

/** Set when SIGTERM arrives: readiness fails at once so the load balancer stops sending traffic. */
@Injectable()
export class ShutdownState {
  private drainingSince: number | null = null;
  private readonly listeners: Array<(drainMs: number) => void> = [];

  /** `drainMs`: how long requests are still served before the server closes. */
  startDraining(drainMs = 0): void {
    if (this.drainingSince !== null) return;
    this.drainingSince = Date.now();
    for (const listener of this.listeners) listener(drainMs);
  }

  /** `listener` runs once when draining starts (long-lived streams end during the drain). */
  whenDraining(listener: (drainMs: number) => void): void {
    this.listeners.push(listener);
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }
}
