/**
 * Where the primary's WAL was, sampled over the last `keepMs`, so that a replica's replay position
 * converts to how old its data may be: a replica that has replayed the position the primary had at
 * time t holds every commit acknowledged before t. Unlike the replica's own replay timestamp, this
 * neither reads an idle primary as lag nor mistakes a replica cut off from its primary for one that
 * is up to date.
 */
export class WalHistory {
  private readonly samples: Array<{ at: number; position: bigint }> = [];

  constructor(private readonly keepMs: number) {}

  /** The primary's position at `at` (taken before asking, so no later commit is counted in). */
  record(at: number, position: bigint): void {
    const newest = this.samples.at(-1);
    // Unmoved: the newest time is the one that bounds a replica at this position.
    if (newest && position <= newest.position) newest.at = Math.max(newest.at, at);
    else this.samples.push({ at, position });
    while (this.samples.length > 1 && this.samples[0].at < at - this.keepMs) this.samples.shift();
  }

  /**
   * The time after which a replica that has replayed `replayed` may miss commits: the newest sample
   * it has reached. Null when it is behind every sample kept (older than the history).
   */
  freshAsOf(replayed: bigint): number | null {
    for (let i = this.samples.length - 1; i >= 0; i -= 1) {
      if (this.samples[i].position <= replayed) return this.samples[i].at;
    }
    return null;
  }
}
