import { createServer, connect, type Server, type Socket } from 'node:net';
import { withIoTimeout, withTimeout } from './with-timeout';

/** Blocks the event loop, as a burst of CPU work in a busy process does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('withIoTimeout', () => {
  let server: Server;
  let port: number;
  const peers: Socket[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      // Closing the client resets the connection: nothing to report.
      socket.on('error', () => undefined);
      peers.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const peer of peers) peer.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  /** An answer the other end sends now, while this process then stays busy past the bound. */
  async function answerSentDuringBusyLoop(
    bound: (work: Promise<string>, ms: number) => Promise<string>,
  ): Promise<string> {
    const client = connect(port, '127.0.0.1').on('error', () => undefined);
    await new Promise((resolve) => client.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const answer = new Promise<string>((resolve) =>
      client.once('data', (data) => resolve(data.toString())),
    );
    const bounded = bound(answer, 10);
    // After this turn's I/O: the next turn starts with the timer due and the answer waiting.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        peers.at(-1)!.write('PONG');
        busy(50);
        resolve();
      }),
    );
    try {
      return await bounded;
    } catch (error) {
      return (error as Error).message;
    } finally {
      client.destroy();
    }
  }

  it('counts an answer that arrived while the loop was busy, where a plain timer gives up', async () => {
    expect(await answerSentDuringBusyLoop(withTimeout)).toBe('timed out');
    expect(await answerSentDuringBusyLoop(withIoTimeout)).toBe('PONG');
  });

  it('still gives up on work that does not answer', async () => {
    const started = performance.now();
    await expect(withIoTimeout(new Promise(() => undefined), 30)).rejects.toThrow('timed out');
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
  });
});
