import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { RetryLaterException } from '../common/retry-later.exception';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/**
 * Searches one user may have running at once on a replica; the next one is 429. One: a user's
 * second search meanwhile would only compete with the first for the same CPU, and with two the
 * neighbours' reads slowed past twice their idle p99 in the abuse benchmark.
 */
export const SEARCHES_PER_USER = 1;
/** How long a search waits for one of the replica's search slots before 503. */
const SLOT_WAIT_MS = 2000;

/**
 * The search work in flight on this replica, bounded twice: per user (429 beyond, so that one
 * user's burst is refused at once rather than queued), and in all, to half the pool, so that
 * searches can never take every connection from the other routes (the rest wait briefly for a
 * slot, then 503).
 */
@Injectable()
export class SearchAdmission {
  private readonly perUser = new Map<number, number>();
  private readonly slots: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.slots = Math.max(
      1,
      Math.floor((config.postgres.poolSize + config.postgres.maxOverflow) / 2),
    );
  }

  async run<T>(userId: number, search: () => Promise<T>): Promise<T> {
    const own = this.perUser.get(userId) ?? 0;
    if (own >= SEARCHES_PER_USER) {
      throw new RetryLaterException(
        HttpStatus.TOO_MANY_REQUESTS,
        `a user's searches run at most ${SEARCHES_PER_USER} at a time: retry after the Retry-After seconds`,
        1,
      );
    }
    this.perUser.set(userId, own + 1);
    try {
      await this.takeSlot();
      try {
        return await search();
      } finally {
        this.releaseSlot();
      }
    } finally {
      const left = (this.perUser.get(userId) ?? 1) - 1;
      if (left === 0) this.perUser.delete(userId);
      else this.perUser.set(userId, left);
    }
  }

  private takeSlot(): Promise<void> {
    if (this.running < this.slots) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        clearTimeout(timer);
        this.running += 1;
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(
          new RetryLaterException(
            HttpStatus.SERVICE_UNAVAILABLE,
            'search is busy on this replica: retry after the Retry-After seconds',
            1,
          ),
        );
      }, SLOT_WAIT_MS);
      this.waiting.push(grant);
    });
  }

  private releaseSlot(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }
}
