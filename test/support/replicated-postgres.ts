import { Client } from 'pg';
import { PostgresCluster } from './postgres-cluster';

export interface ReplicaLag {
  /** WAL the replica has not replayed yet. */
  bytes: number;
  /**
   * Time since the newest commit the replica has replayed, 0 when it has replayed all it received;
   * null before it has replayed any commit.
   */
  ms: number | null;
}

/**
 * A primary and a hot-standby streaming replica owned by one test, each a PostgresCluster under
 * /tmp. With `applyDelayMs` the replica applies every commit no sooner than that long after it
 * (`recovery_min_apply_delay`), so that a test can count on it being behind.
 */
export class ReplicatedPostgres {
  private constructor(
    readonly primary: PostgresCluster,
    readonly replica: PostgresCluster,
    readonly applyDelayMs: number,
  ) {}

  static async create(options: { applyDelayMs?: number } = {}): Promise<ReplicatedPostgres> {
    const applyDelayMs = options.applyDelayMs ?? 0;
    const primary = await PostgresCluster.create();
    try {
      const replica = await PostgresCluster.standbyOf(primary, [
        `-c recovery_min_apply_delay=${applyDelayMs}ms`,
      ]);
      return new ReplicatedPostgres(primary, replica, applyDelayMs);
    } catch (error) {
      await primary.destroy();
      throw error;
    }
  }

  /** The primary's WAL position now: every write committed before the call is at or before it. */
  async primaryLsn(): Promise<string> {
    return (await this.ask(this.primary, `SELECT pg_current_wal_lsn()::text AS value`)).value;
  }

  /** How far the replica has replayed. */
  async replayedLsn(): Promise<string> {
    return (await this.ask(this.replica, `SELECT pg_last_wal_replay_lsn()::text AS value`)).value;
  }

  async hasReplayed(lsn: string): Promise<boolean> {
    const query = `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS value`;
    return (await this.ask(this.replica, query, [lsn])).value;
  }

  /** Waits until the replica has replayed `lsn`; resolves with how long that took. */
  async waitForReplay(lsn: string, timeoutMs = this.applyDelayMs + 10_000): Promise<number> {
    const started = performance.now();
    while (!(await this.hasReplayed(lsn).catch(() => false))) {
      if (performance.now() - started > timeoutMs)
        throw new Error(`the replica did not replay ${lsn} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return performance.now() - started;
  }

  async lag(): Promise<ReplicaLag> {
    const primaryLsn = await this.primaryLsn();
    const { bytes, ms } = await this.ask(
      this.replica,
      `SELECT pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 AS bytes,
              CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                   WHEN pg_last_xact_replay_timestamp() IS NULL THEN NULL
                   ELSE round(GREATEST(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000))::int
              END AS ms`,
      [primaryLsn],
    );
    return { bytes: Math.max(0, bytes), ms };
  }

  /** Fast shutdown of the replica, as a lost replica; the primary keeps going. */
  stopReplica(): Promise<void> {
    return this.replica.stop();
  }

  /** The replica back: it reconnects to the primary and replays what it missed. */
  startReplica(): Promise<void> {
    return this.replica.start();
  }

  async destroy(): Promise<void> {
    await this.replica.destroy();
    await this.primary.destroy();
  }

  private async ask(
    cluster: PostgresCluster,
    sql: string,
    params: unknown[] = [],
  ): Promise<Record<string, any>> {
    const client = new Client({ ...cluster.endpoint, database: 'postgres' });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows[0];
    } finally {
      await client.end();
    }
  }
}
