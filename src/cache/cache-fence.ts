import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { randomBytes } from 'node:crypto';
import type { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { METRICS } from '../metrics/metric-names';

/** How often a replica renews its lease and picks up the invalidations others could not make. */
export const RENEW_EVERY_MS = 1000;
/** A replica that has not renewed for this long stops serving from the cache, and is not waited for. */
export const LEASE_MS = 3000;
/** Kept below the lease so that a replica fences itself before the others stop waiting for it. */
const SELF_FENCE_MARGIN_MS = 500;
const POLL_MS = 50;
/** Old records and leases are swept every this many renewals. */
const PRUNE_EVERY = 60;

/** What the fence needs of the cache it guards. */
export interface FencedCache {
  /** Whether this replica can reach Redis now. */
  reachable(): Promise<boolean>;
  /** Replaces the user's cache version in Redis; false when Redis could not be reached. */
  bump(userId: number): Promise<boolean>;
}

/**
 * Keeps an acknowledged write visible to the next read on every replica when the write's replica
 * could not reach Redis to invalidate (another replica still can, and would serve stale entries).
 *
 * Such a write records the user in PostgreSQL (`cache_invalidations`) and, before it answers,
 * waits until every replica that serves from the cache has seen the record: each replica renews a
 * lease in `cache_replicas` every second, reading new records as it does (it stops serving that
 * user's entries, and makes the invalidation in Redis itself when it can). A replica that cannot
 * renew its lease for a few seconds stops serving from the cache on its own, so a write never
 * waits longer than a lease for a replica it cannot reach. Nothing of this touches a read's path
 * but an in-memory check, and nothing of it runs while Redis answers the writer.
 */
@Injectable()
export class CacheFence implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CacheFence.name);
  private readonly replicaId = randomBytes(8).toString('hex');
  private readonly retainSeconds: number;
  private cache: FencedCache | null = null;
  private timer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  private leaseUntil = 0;
  private servingDeclared = false;
  private seen = 0n;
  private renewals = 0;
  /**
   * Users whose entries must not be served until their invalidation has reached Redis, with the
   * records of theirs (each made in PostgreSQL by a writer that could not reach Redis).
   */
  private readonly pending = new Map<number, Set<string>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectMetric(METRICS.cacheFenced) private readonly fenced: Gauge,
    @InjectMetric(METRICS.cacheInvalidationsRecorded) private readonly recorded: Counter,
  ) {
    // Past an entry's lifetime, a lost invalidation has nothing left to hide.
    this.retainSeconds = config.cache.ttlSeconds;
  }

  /** Guards `cache` (a Redis cache: the in-process one needs no fence). */
  attach(cache: FencedCache): void {
    this.cache = cache;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.cache) return;
    // The first lease says "not serving": until its row exists, a writer could not wait for it.
    await this.renew(false);
    await this.renew();
    this.timer = setInterval(() => void this.renew(), RENEW_EVERY_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.renewing;
    if (!this.cache) return;
    // Writers need not wait for a replica that is gone.
    await this.dataSource
      .query(`DELETE FROM cache_replicas WHERE replica_id = $1`, [this.replicaId])
      .catch(() => undefined);
  }

  /** Whether this replica may answer the user's reads from the cache right now. */
  mayServe(userId: number): boolean {
    if (!this.cache) return true;
    return this.servingDeclared && Date.now() < this.leaseUntil && !this.pending.has(userId);
  }

  /**
   * Records an invalidation this replica could not make in Redis, and resolves once every replica
   * serving from the cache has seen it (or its lease has run out).
   */
  async recordLostInvalidation(userId: number): Promise<void> {
    this.recorded.inc();
    const [{ id }] = await this.dataSource.query(
      `INSERT INTO cache_invalidations (user_id) VALUES ($1) RETURNING id::text AS id`,
      [userId],
    );
    this.hold(userId, id);
    for (;;) {
      // FOR SHARE waits for a renewal under way, so its answer cannot predate the record.
      const lagging: unknown[] = await this.dataSource.transaction((manager) =>
        manager.query(
          `SELECT replica_id FROM cache_replicas
           WHERE serving AND expires_at > now() AND seen_invalidation < $1 AND replica_id <> $2
           FOR SHARE`,
          [id, this.replicaId],
        ),
      );
      if (lagging.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private renew(mayServe = true): Promise<void> {
    this.renewing ??= this.renewLease(mayServe).finally(() => (this.renewing = null));
    return this.renewing;
  }

  private async renewLease(mayServe: boolean): Promise<void> {
    const cache = this.cache!;
    const started = Date.now();
    const serving = mayServe && (await cache.reachable());
    try {
      const records = await this.dataSource.transaction(async (manager) => {
        // The lease row first: its lock orders this read after any writer's check under way.
        await manager.query(
          `INSERT INTO cache_replicas (replica_id, serving, seen_invalidation, expires_at)
           VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
           ON CONFLICT (replica_id) DO UPDATE SET serving = $2, expires_at = EXCLUDED.expires_at`,
          [this.replicaId, serving, String(this.seen), LEASE_MS],
        );
        const found: Array<{ id: string; user_id: number }> = await manager.query(
          `SELECT id::text AS id, user_id FROM cache_invalidations WHERE id > $1 ORDER BY id`,
          [String(this.seen)],
        );
        const seen = found.length > 0 ? BigInt(found[found.length - 1].id) : this.seen;
        await manager.query(
          `UPDATE cache_replicas SET seen_invalidation = $2 WHERE replica_id = $1`,
          [this.replicaId, String(seen)],
        );
        for (const record of found) this.hold(record.user_id, record.id);
        this.seen = seen;
        return found;
      });
      this.leaseUntil = started + LEASE_MS - SELF_FENCE_MARGIN_MS;
      this.servingDeclared = serving;
      if (records.length > 0 || this.pending.size > 0) await this.release();
      if (++this.renewals % PRUNE_EVERY === 0) await this.prune();
    } catch (error) {
      this.logger.warn(`cache lease not renewed (${(error as { code?: string }).code ?? 'error'})`);
    }
    this.fenced.set(this.mayServeAnyone() ? 0 : 1);
  }

  /** Makes the held invalidations in Redis, and lets go of the users whose invalidation is made. */
  private async release(): Promise<void> {
    for (const [userId, records] of [...this.pending]) {
      const made = [...records];
      if (!(await this.cache!.bump(userId))) return;
      await this.dataSource.query(`DELETE FROM cache_invalidations WHERE id = ANY($1::bigint[])`, [
        made,
      ]);
      // A record that arrived while Redis was asked stays held until the next bump.
      for (const id of made) records.delete(id);
      if (records.size === 0) this.pending.delete(userId);
    }
  }

  /** Records older than an entry's lifetime, and leases long expired, are forgotten. */
  private async prune(): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM cache_invalidations WHERE created_at < now() - $1 * interval '1 second'`,
      [this.retainSeconds],
    );
    await this.dataSource.query(
      `DELETE FROM cache_replicas WHERE expires_at < now() - interval '1 hour'`,
    );
  }

  private hold(userId: number, id: string): void {
    const held = this.pending.get(userId) ?? new Set<string>();
    held.add(id);
    this.pending.set(userId, held);
  }

  private mayServeAnyone(): boolean {
    return this.servingDeclared && Date.now() < this.leaseUntil;
  }
}
