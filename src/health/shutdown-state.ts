import { Injectable } from '@nestjs/common';

/** Past the drain, closing may take this long before the process gives up waiting and exits 1. */
export const CLOSE_DEADLINE_MS = 10_000;

/** Set when SIGTERM arrives: readiness fails at once so the load balancer stops sending traffic. */
@Injectable()
export class ShutdownState {
  private drainingSince: number | null = null;

  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }
}
