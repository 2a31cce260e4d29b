import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { mapDatabaseError } from '../database/database-errors';
import type { ReadTarget } from '../database/transactions';
import { METRICS } from '../metrics/metric-names';
import { UNKNOWN_POSITION } from './lsn';
import { ReadReplicas, type UsableReplica } from './read-replicas';
import { WritePositions } from './write-positions';

export type RouteReason =
  'caught_up' | 'own_write' | 'no_replica' | 'position_unknown' | 'replica_failed';

/**
 * Where one request reads: a replica, or the primary. After a database error that retrying can
 * help (the replica went away, or cancelled the query replaying WAL), the request runs again on
 * the primary: `fallBack`.
 */
export class ReadRoute implements ReadTarget {
  constructor(
    private replica: UsableReplica | null,
    private readonly lost: (replica: UsableReplica) => void,
  ) {}

  get manager(): EntityManager | undefined {
    return this.replica?.manager;
  }

  get target(): string {
    return this.replica?.name ?? 'primary';
  }

  /** True (and from now on the primary) when the failed read should run again there. */
  fallBack(error: unknown): boolean {
    if (!this.replica || !mapDatabaseError(error)?.transient) return false;
    this.lost(this.replica);
    this.replica = null;
    return true;
  }
}

/**
 * The read-your-writes rule: a read may go to a replica that has replayed the reader's last write
 * (any usable replica when none is remembered); otherwise, or when the last write cannot be known
 * (Redis failing), to the primary.
 */
@Injectable()
export class ReadRouter {
  private next = 0;

  constructor(
    private readonly replicas: ReadReplicas,
    private readonly positions: WritePositions,
    @InjectMetric(METRICS.dbReadRoutes) private readonly routes: Counter<'target' | 'reason'>,
  ) {}

  /** False without POSTGRES_READ_HOSTS: nothing is routed, nothing is recorded. */
  get enabled(): boolean {
    return this.replicas.configured;
  }

  async routeRead(userId: number): Promise<ReadRoute> {
    const usable = this.replicas.usable();
    if (usable.length === 0) return this.primary('no_replica');
    const newest = usable.reduce(
      (max, replica) => (replica.replayed > max ? replica.replayed : max),
      0n,
    );
    const written = await this.positions.lastWrite(userId, newest);
    const caughtUp =
      written === null ? usable : usable.filter((replica) => replica.replayed >= written);
    if (caughtUp.length === 0) {
      return this.primary(written === UNKNOWN_POSITION ? 'position_unknown' : 'own_write');
    }
    // In turn, so that replicas share the reads.
    const chosen = caughtUp[this.next++ % caughtUp.length];
    this.routes.inc({ target: chosen.name, reason: 'caught_up' });
    return new ReadRoute(chosen, (replica) => this.lost(replica));
  }

  /** After a write of the user has committed, before the user is answered. */
  recordWrite(userId: number): Promise<void> {
    return this.positions.record(userId);
  }

  private primary(reason: RouteReason): ReadRoute {
    this.routes.inc({ target: 'primary', reason });
    return new ReadRoute(null, (replica) => this.lost(replica));
  }

  private lost(replica: UsableReplica): void {
    this.replicas.failed(replica.name);
    this.routes.inc({ target: 'primary', reason: 'replica_failed' });
  }
}
