import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './app-process';

const BINARY = 'prometheus-node-exporter';

/**
 * A node-exporter owned by one test, on a free loopback port, with only its textfile collector
 * on: it reads `*.prom` files as Prometheus' node-exporter does on a Kubernetes node, and says
 * `node_textfile_scrape_error 1` for a file it cannot parse.
 */
export class TestNodeExporter {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(textfileDir: string): Promise<TestNodeExporter> {
    const port = await freePort();
    const child = spawn(
      BINARY,
      [
        '--collector.disable-defaults',
        '--collector.textfile',
        `--collector.textfile.directory=${textfileDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) =>
        reject(new Error(`${BINARY} did not start (.ci/run installs it): ${error.message}`)),
      );
      child.once('exit', (code) => reject(new Error(`${BINARY} exited with ${code}`)));
    });
    failed.catch(() => undefined);
    const exporter = new TestNodeExporter(child, port);
    const deadline = Date.now() + 5_000;
    for (;;) {
      const up = await Promise.race([
        exporter.scrape().then(
          () => true,
          () => false,
        ),
        failed,
      ]);
      if (up) return exporter;
      if (Date.now() > deadline) throw new Error(`${BINARY} did not answer on ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The exposition text of one scrape. */
  async scrape(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    if (!response.ok) throw new Error(`node-exporter answered ${response.status}`);
    return response.text();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** Series (name with its labels, as exposed) to value, from Prometheus text format. */
export function seriesValues(exposition: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) values.set(match[1], Number(match[2]));
  }
  return values;
}
