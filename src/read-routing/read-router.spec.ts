import type { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { UNKNOWN_POSITION } from './lsn';
import type { ReadReplicas, UsableReplica } from './read-replicas';
import { ReadRouter } from './read-router';
import type { WritePositions } from './write-positions';

function replica(name: string, replayed: bigint): UsableReplica {
  return { name, replayed, manager: { name } as unknown as EntityManager };
}

/** A router over these usable replicas, the user's last write at `written`. */
function routerWith(usable: UsableReplica[], written: bigint | null) {
  const counted: Array<Record<string, string>> = [];
  const failed: string[] = [];
  const asked: bigint[] = [];
  const replicas = {
    configured: true,
    usable: () => usable,
    failed: (name: string) => failed.push(name),
  } as unknown as ReadReplicas;
  const positions = {
    lastWrite: async (_userId: number, newestReplay: bigint) => {
      asked.push(newestReplay);
      return written;
    },
  } as unknown as WritePositions;
  const routes = { inc: (labels: Record<string, string>) => counted.push(labels) };
  const router = new ReadRouter(
    replicas,
    positions,
    routes as unknown as Counter<'target' | 'reason'>,
  );
  return { router, counted, failed, asked };
}

describe('ReadRouter', () => {
  it('reads from a replica that has replayed the reader’s last write, and tells Redis how far the best one is', async () => {
    const { router, counted, asked } = routerWith([replica('r1', 100n), replica('r2', 200n)], 150n);
    const route = await router.routeRead(7);
    expect(route.target).toBe('r2');
    expect(asked).toEqual([200n]);
    expect(counted).toEqual([{ target: 'r2', reason: 'caught_up' }]);
  });

  it('spreads readers with no remembered write over every usable replica, in turn', async () => {
    const { router } = routerWith([replica('r1', 100n), replica('r2', 200n)], null);
    const targets = [];
    for (let i = 0; i < 4; i += 1) targets.push((await router.routeRead(7)).target);
    expect(targets).toEqual(['r1', 'r2', 'r1', 'r2']);
  });

  it('reads from the primary when no replica has the write, when the write cannot be known, or when none is usable', async () => {
    const ahead = routerWith([replica('r1', 100n)], 101n);
    expect((await ahead.router.routeRead(7)).manager).toBeUndefined();
    expect(ahead.counted).toEqual([{ target: 'primary', reason: 'own_write' }]);

    const unknown = routerWith([replica('r1', 100n)], UNKNOWN_POSITION);
    expect((await unknown.router.routeRead(7)).target).toBe('primary');
    expect(unknown.counted).toEqual([{ target: 'primary', reason: 'position_unknown' }]);

    const none = routerWith([], null);
    expect((await none.router.routeRead(7)).target).toBe('primary');
    expect(none.asked).toEqual([]);
    expect(none.counted).toEqual([{ target: 'primary', reason: 'no_replica' }]);
  });

  it('moves a read to the primary after an error on the replica that retrying can help, and only then', async () => {
    const { router, counted, failed } = routerWith([replica('r1', 100n)], null);
    const route = await router.routeRead(7);
    expect(route.fallBack(new Error('conversation not found'))).toBe(false);
    expect(route.target).toBe('r1');
    const lost = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), {
      code: 'ECONNREFUSED',
    });
    expect(route.fallBack(lost)).toBe(true);
    expect([route.target, route.manager]).toEqual(['primary', undefined]);
    expect(failed).toEqual(['r1']);
    expect(counted.at(-1)).toEqual({ target: 'primary', reason: 'replica_failed' });
    // On the primary, an error is the primary's: nothing is retried again.
    expect(route.fallBack(lost)).toBe(false);
  });
});
