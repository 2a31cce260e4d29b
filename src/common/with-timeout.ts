/** Rejects when `work` has not settled within `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Like `withTimeout`, but an answer that reached the process in time is not counted late because
 * the event loop was busy: when the timer fires, the loop polls its sockets once more before the
 * work counts as timed out. Timers run before I/O in each turn of the loop, so under load a plain
 * timer can fire while the answer waits, already received, behind it.
 */
export function withIoTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let check: NodeJS.Immediate | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      check = setImmediate(() => reject(new Error('timed out')));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
    if (check) clearImmediate(check);
  });
}
