import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PurgeService } from './purge.service';

const INTERVAL_NAME = 'purge-and-retention';

/**
 * Runs the purge every `PURGE_INTERVAL_SECONDS` in every replica; the job's lock lets one of them
 * work and the others skip. The first run comes one interval after boot (never during a test
 * that did not ask for it), and a run still going when the next is due is not doubled.
 */
@Injectable()
export class PurgeScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Purge');
  private running: Promise<void> | null = null;
  private shuttingDown = false;

  constructor(
    private readonly purge: PurgeService,
    private readonly registry: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => this.tick(), this.config.lifecycle.purgeIntervalSeconds * 1000);
    this.registry.addInterval(INTERVAL_NAME, timer);
  }

  /** The schedule module clears the interval; a run in progress stops at its next statement. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.purge.requestStop();
    await this.running;
  }

  private tick(): void {
    if (this.running || this.shuttingDown) return;
    this.running = this.purge
      .run()
      .then(() => undefined)
      .catch((error: unknown) => {
        // The code only: a driver's message may name the host.
        const { code, driverError } = error as { code?: string; driverError?: { code?: string } };
        const reason = driverError?.code ?? code ?? (error as Error).name;
        this.logger.warn(`purge run failed (${reason}); the next interval tries again`);
      })
      .finally(() => {
        this.running = null;
      });
  }
}
