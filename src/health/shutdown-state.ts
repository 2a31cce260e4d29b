import { Injectable } from '@nestjs/common';

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
