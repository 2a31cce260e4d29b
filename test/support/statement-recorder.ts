import { TcpProxy } from './tcp-proxy';

export interface RecordedStatement {
  sql: string;
  /** `simple`: a Query message; `extended`: a Parse message (a prepared statement). */
  protocol: 'simple' | 'extended';
  /** The prepared statement's name: empty for an unnamed one, the only kind PgBouncer 1.18 pools. */
  name: string;
}

// Untyped requests after which the client sends its startup message again (SSL, GSS encryption).
const NEGOTIATION_CODES = new Set([80877103, 80877104]);

/**
 * A TCP proxy in front of a PostgreSQL server (or pooler) that records the text of every statement
 * its clients send, read from the wire protocol: it sees exactly what the app sends, whatever
 * library or ORM produced it.
 */
export class StatementRecorder {
  readonly statements: RecordedStatement[] = [];

  private constructor(private readonly proxy: TcpProxy) {}

  static async start(target: { host: string; port: number }): Promise<StatementRecorder> {
    let recorder: StatementRecorder | undefined;
    const proxy = await TcpProxy.start(target, () =>
      frontendMessages((type, body) => recorder?.record(type, body)),
    );
    recorder = new StatementRecorder(proxy);
    return recorder;
  }

  get endpoint(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.proxy.port };
  }

  stop(): Promise<void> {
    return this.proxy.cut();
  }

  private record(type: string, body: Buffer): void {
    if (type === 'Q') {
      this.statements.push({ sql: cString(body, 0).text, protocol: 'simple', name: '' });
    } else if (type === 'P') {
      const name = cString(body, 0);
      const sql = cString(body, name.end + 1);
      this.statements.push({ sql: sql.text, protocol: 'extended', name: name.text });
    }
  }
}

/**
 * Splits one connection's client-to-server bytes into messages: an untyped startup packet (length,
 * then a code), then typed ones (a byte, then a length that counts itself but not the byte).
 */
export function frontendMessages(
  onMessage: (type: string, body: Buffer) => void,
): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let startup = true;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const headerLength = startup ? 8 : 5;
      if (pending.length < headerLength) return;
      const total = startup ? pending.readInt32BE(0) : pending.readInt32BE(1) + 1;
      if (pending.length < total) return;
      if (startup) startup = NEGOTIATION_CODES.has(pending.readInt32BE(4));
      else onMessage(String.fromCharCode(pending[0]), pending.subarray(5, total));
      pending = pending.subarray(total);
    }
  };
}

function cString(buffer: Buffer, start: number): { text: string; end: number } {
  const end = buffer.indexOf(0, start);
  return { text: buffer.toString('utf8', start, end), end };
}
