import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Watches what clients send: called once per connection for that connection's observer. */
export type ClientTap = () => (chunk: Buffer) => void;

/**
 * A loopback TCP proxy a test can cut: while open it forwards to the target; once closed its port
 * refuses connections and every forwarded connection is dropped, as a dead server's would be.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;

  private constructor(
    private readonly target: { host: string; port: number },
    public port: number,
    private readonly tap?: ClientTap,
  ) {}

  static async start(target: { host: string; port: number }, tap?: ClientTap): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, 0, tap);
    await proxy.open();
    return proxy;
  }

  /** Listens (again) on the same port. */
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      const observe = this.tap?.();
      if (observe) client.on('data', observe);
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Refuses new connections and drops the open ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
