import { readFileSync } from 'node:fs';
import { Client, Pool } from 'pg';
import { createClient } from '@keyv/redis';
import { benchToken, freePort, startBenchApp, type BenchApp } from '../support/bench-app';
import { BENCH_SERVER, migratedDataSource, recreateDatabase } from '../support/bench-database';
import { startBenchRedis } from '../support/bench-redis';
import { runLoad } from '../support/load';
import { percentile } from '../support/random';
import { searchTerms } from '../../src/conversations/messages/search-terms';

const DATABASE = process.env.BENCH_EVENTS_DB ?? 'chatbot_bench_events';
const AGENT = 'messages:write:assistant';
const STREAM_USERS = 100;
const STREAMS_PER_USER = 10;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = 50;
/** Loads compared with each other run in turns, this many each, so that a busy machine hits both. */
const ROUNDS = 3;

interface Api {
  url: string;
  headers: Record<string, string>;
}

/**
 * Streaming replies and event streams on the production build (one process), its own Redis, the
 * local PostgreSQL. Each figure with its baseline from the same run:
 * - a 4,000-character answer in 400 deltas: time (through the API) and WAL (the statements
 *   themselves, under EXPLAIN (ANALYZE, WAL)) per delta at its start and its end, against the
 *   same deltas kept on the message row and against rewriting the text each time;
 * - delta append throughput against appending whole messages;
 * - 1,000 open event streams: write-to-delivery latency, RSS per stream; the bus alone (Redis
 *   PUBLISH to a subscriber) and PostgreSQL LISTEN/NOTIFY at the same rate, and commits per second
 *   with and without NOTIFY in the transaction;
 * - 304 throughput against the cached 200.
 */
async function main(): Promise<void> {
  await recreateDatabase(DATABASE);
  await (await migratedDataSource(DATABASE)).destroy();
  const redisPort = await freePort();
  const redis = startBenchRedis(redisPort);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const app = await startBenchApp(DATABASE, {
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redisPort),
    REDIS_KEY_PREFIX: 'bench-events',
  });
  const lines: string[] = [];
  const say = (line = ''): void => {
    lines.push(line);
    console.log(line);
  };
  try {
    say(
      `Events benchmark, ${new Date().toISOString()}: production build, one process, ${SECONDS} s per load, ${CONCURRENCY} concurrent clients`,
    );
    say();
    // Memory per stream first, on a process that has not yet grown its heap under load.
    await openStreams(app, redisPort, say);
    await deltaCost(app, say);
    await deltaThroughput(app, say);
    await conditionalReads(app, say);
  } finally {
    await app.stop();
    redis.kill('SIGKILL');
  }
}

async function apiFor(app: BenchApp, userId: number): Promise<Api> {
  return {
    url: app.url,
    headers: {
      Authorization: `Bearer ${await benchToken(userId, AGENT)}`,
      'Content-Type': 'application/json',
    },
  };
}

async function call(api: Api, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: api.headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function newStream(api: Api): Promise<{ conversationId: string; messageId: string }> {
  const conversation = await call(api, 'POST', '/api/v1/conversations', {
    initial_message: '관세율을 알려주세요',
  });
  const created = await call(api, 'POST', `/api/v1/conversations/${conversation.id}/messages`, {
    role: 'assistant',
    status: 'streaming',
    agent_used: 'regulation_agent',
  });
  return { conversationId: conversation.id, messageId: created.messages[0].id };
}

const piece = (index: number): string => `관세율 ${String(index).padStart(4, '0')}. `.slice(0, 10);

/** Per delta, at the start (first 40) and the end (last 40) of a 4,000-character answer. */
async function deltaCost(app: BenchApp, say: (line?: string) => void): Promise<void> {
  const api = await apiFor(app, 1);
  const { conversationId, messageId } = await newStream(api);
  const path = `/api/v1/conversations/${conversationId}/messages/${messageId}`;
  const http: number[] = [];
  for (let index = 0; index < 400; index += 1) {
    const started = performance.now();
    await call(api, 'PATCH', path, { append: piece(index), offset: index * 10 });
    http.push(performance.now() - started);
  }
  await call(api, 'PATCH', path, { status: 'complete' });

  const db = new Client({ ...BENCH_SERVER, database: DATABASE });
  await db.connect();
  try {
    // The same deltas kept on the message row instead (the other design measured).
    await db.query(
      `ALTER TABLE messages ADD COLUMN IF NOT EXISTS bench_length integer NOT NULL DEFAULT 0,
         ADD COLUMN IF NOT EXISTS bench_written_at timestamptz`,
    );
    const variants: Array<{ name: string; statements: (index: number, m: Row) => Statement[] }> = [
      {
        name: 'this service: stream row + delta row',
        statements: (index, m) => [
          [
            `UPDATE message_streams s SET length = s.length + $4, written_at = now()
             WHERE s.user_id = $1 AND s.message_id = $2 AND s.conversation_id = $3
               AND s.written_at > now() - 120 * interval '1 second' AND s.length = $5
               AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = s.conversation_id AND c.user_id = s.user_id AND c.is_active = true)
             RETURNING s.length`,
            [m.userId, m.messageId, m.conversationId, 10, index * 10],
          ],
          [
            `INSERT INTO message_deltas (user_id, message_id, start_offset, text) VALUES ($1, $2, $3, $4)`,
            [m.userId, m.messageId, index * 10, piece(index)],
          ],
        ],
      },
      {
        name: 'length on the message row + delta row',
        statements: (index, m) => [
          [
            `UPDATE messages SET bench_length = bench_length + $3, bench_written_at = now()
             WHERE id = $1 AND user_id = $2 AND bench_length = $4 RETURNING bench_length`,
            [m.messageId, m.userId, 10, index * 10],
          ],
          [
            `INSERT INTO message_deltas (user_id, message_id, start_offset, text) VALUES ($1, $2, $3, $4)`,
            [m.userId, m.messageId, index * 10, piece(index)],
          ],
        ],
      },
      {
        name: 'rewriting the text (content || delta, search terms)',
        statements: (index, m) => {
          const text = Array.from({ length: index + 1 }, (_, i) => piece(i)).join('');
          return [
            [
              `UPDATE messages SET content = content || $3, search_terms = $4 WHERE id = $1 AND user_id = $2`,
              [m.messageId, m.userId, piece(index), searchTerms(text)],
            ],
          ];
        },
      },
    ];
    say('### A 4,000-character answer in 400 deltas of 10 characters');
    say();
    say('| per delta | start (deltas 1-40) | end (deltas 361-400) | end / start |');
    say('|---|---|---|---|');
    say(ratioRow('time through the API, median ms', http.slice(0, 40), http.slice(-40), 2));
    for (const variant of variants) {
      const target = await streamingRow(db, api);
      const wal: number[] = [];
      const ms: number[] = [];
      for (let index = 0; index < 400; index += 1) {
        let bytes = 0;
        let time = 0;
        for (const [sql, params] of variant.statements(index, target)) {
          const measured = await explained(db, sql, params);
          bytes += measured.walBytes;
          time += measured.ms;
        }
        wal.push(bytes);
        ms.push(time);
      }
      say(ratioRow(`WAL bytes, median: ${variant.name}`, wal.slice(0, 40), wal.slice(-40), 0));
      say(ratioRow(`execution ms, median: ${variant.name}`, ms.slice(0, 40), ms.slice(-40), 3));
    }
    say();
  } finally {
    await db.end();
  }
}

interface Row {
  userId: number;
  conversationId: string;
  messageId: string;
}
type Statement = [string, unknown[]];

/** A fresh streaming message for one variant (the API creates it, the variant writes it). */
async function streamingRow(db: Client, api: Api): Promise<Row> {
  const { conversationId, messageId } = await newStream(api);
  await db.query(`UPDATE messages SET bench_length = 0 WHERE id = $1`, [messageId]);
  return { userId: 1, conversationId, messageId };
}

async function explained(
  db: Client,
  sql: string,
  params: unknown[],
): Promise<{ walBytes: number; ms: number }> {
  const { rows } = await db.query(`EXPLAIN (ANALYZE, WAL, FORMAT JSON) ${sql}`, params);
  const [plan] = rows[0]['QUERY PLAN'];
  return { walBytes: walOf(plan.Plan), ms: plan['Execution Time'] };
}

/** The WAL a node wrote, its subplans' included (a ModifyTable's own counts its index inserts). */
function walOf(node: { 'WAL Bytes'?: number }): number {
  return node['WAL Bytes'] ?? 0;
}

function ratioRow(name: string, start: number[], end: number[], digits: number): string {
  const a = percentile(start, 50);
  const b = percentile(end, 50);
  return `| ${name} | ${a.toFixed(digits)} | ${b.toFixed(digits)} | ${(b / a).toFixed(2)} |`;
}

/** Deltas per second (each client its own stream, with offsets) against whole messages. */
async function deltaThroughput(app: BenchApp, say: (line?: string) => void): Promise<void> {
  const api = await apiFor(app, 2);
  const streams = await Promise.all(Array.from({ length: CONCURRENCY }, () => newStream(api)));
  const conversations = await Promise.all(
    Array.from({ length: CONCURRENCY }, () =>
      call(api, 'POST', '/api/v1/conversations', { title: 'baseline' }),
    ),
  );
  const offsets = streams.map(() => 0);
  const deltaRound = (): Promise<LoopResult> =>
    loop(SECONDS / ROUNDS, CONCURRENCY, async (worker, iteration) => {
      const { conversationId, messageId } = streams[worker];
      const offset = offsets[worker];
      offsets[worker] += 10;
      await call(api, 'PATCH', `/api/v1/conversations/${conversationId}/messages/${messageId}`, {
        append: piece(iteration),
        offset,
      });
    });
  const appendRound = (): Promise<LoopResult> =>
    loop(SECONDS / ROUNDS, CONCURRENCY, async (worker, iteration) => {
      await call(api, 'POST', `/api/v1/conversations/${conversations[worker].id}/messages`, {
        role: 'assistant',
        content: piece(iteration),
      });
    });
  const { a: deltas, b: appends } = await inTurns(deltaRound, appendRound);
  say('### Delta append throughput');
  say();
  say(`${ROUNDS} turns each of ${SECONDS / ROUNDS} s, in turns (the median turn shown)`);
  say();
  say('| write | req/s | p50 / p99 ms |');
  say('|---|---|---|');
  say(loadRow('delta (PATCH {append, offset})', deltas));
  say(loadRow('baseline: whole message (POST)', appends));
  say(`deltas / whole messages: ${((deltas.perSecond / appends.perSecond) * 100).toFixed(0)}%`);
  say();
}

interface LoopResult {
  perSecond: number;
  latencies: number[];
}

/** `clients` loops, each awaiting its call, for `seconds`. */
async function loop(
  seconds: number,
  clients: number,
  callOnce: (worker: number, iteration: number) => Promise<void>,
): Promise<LoopResult> {
  const latencies: number[] = [];
  const ends = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, worker) => {
      for (let iteration = 0; performance.now() < ends; iteration += 1) {
        const started = performance.now();
        await callOnce(worker, iteration);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return { perSecond: latencies.length / seconds, latencies };
}

/** Runs `a` and `b` in turns, ROUNDS times each; the round of each with the median rate. */
async function inTurns<T extends { perSecond: number }>(
  a: () => Promise<T>,
  b: () => Promise<T>,
): Promise<{ a: T; b: T }> {
  const as: T[] = [];
  const bs: T[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    as.push(await a());
    bs.push(await b());
  }
  const median = (results: T[]): T =>
    [...results].sort((x, y) => x.perSecond - y.perSecond)[Math.floor(results.length / 2)];
  return { a: median(as), b: median(bs) };
}

function loadRow(name: string, result: LoopResult): string {
  return `| ${name} | ${result.perSecond.toFixed(0)} | ${percentile(result.latencies, 50).toFixed(1)} / ${percentile(result.latencies, 99).toFixed(1)} |`;
}

/** 1,000 streams: 100 users, one conversation each, 10 streams each; a write reaches 10 of them. */
async function openStreams(
  app: BenchApp,
  redisPort: number,
  say: (line?: string) => void,
): Promise<void> {
  const users = await Promise.all(
    Array.from({ length: STREAM_USERS }, (_, index) => apiFor(app, 1000 + index)),
  );
  const targets = await Promise.all(users.map((api) => newStream(api)));
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const rssBefore = rssOf(app.pid);
  const heapBefore = await heapUsed(app);
  const arrivals = new Map<string, number[]>();
  const streams: StreamReader[] = [];
  for (const [index, target] of targets.entries()) {
    for (let copy = 0; copy < STREAMS_PER_USER; copy += 1) {
      streams.push(
        await StreamReader.open(
          `${app.url}/api/v1/conversations/${target.conversationId}/events`,
          users[index].headers.Authorization,
          (key) => {
            const at = arrivals.get(key) ?? [];
            at.push(performance.now());
            arrivals.set(key, at);
          },
        ),
      );
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const rssAfter = rssOf(app.pid);
  const heapAfter = await heapUsed(app);

  // Writes spread over the conversations, paced at RATE a second in all.
  const RATE = 100;
  const sent = new Map<string, number>();
  const answered: number[] = [];
  const offsets = targets.map(() => 0);
  const written = Array.from({ length: SECONDS * RATE }, (_, index) => index);
  const startedAt = performance.now();
  await Promise.all(
    written.map(async (index) => {
      const due = startedAt + (index * 1000) / RATE;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      const which = index % targets.length;
      const offset = offsets[which];
      offsets[which] += 10;
      const { conversationId, messageId } = targets[which];
      const at = performance.now();
      sent.set(`${messageId}:${offset}`, at);
      await call(
        users[which],
        'PATCH',
        `/api/v1/conversations/${conversationId}/messages/${messageId}`,
        { append: piece(index), offset },
      );
      answered.push(performance.now() - at);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const latencies: number[] = [];
  let missing = 0;
  for (const [key, at] of sent) {
    const got = arrivals.get(key) ?? [];
    missing += STREAMS_PER_USER - got.length;
    for (const arrival of got) latencies.push(arrival - at);
  }
  for (const stream of streams) stream.close();

  const bus = await redisPubSubLatency(redisPort, RATE, SECONDS);
  const notify = await notifyLatency(RATE, SECONDS);
  const commits = await notifyCommitCost();
  say('### 1,000 open event streams on one replica');
  say();
  say(
    `${streams.length} streams (${STREAM_USERS} users x ${STREAMS_PER_USER} on one conversation each), ${sent.size} deltas at ${RATE}/s, each delivered to ${STREAMS_PER_USER} streams: ${latencies.length} deliveries, ${missing} missing`,
  );
  say();
  say('| path | p50 ms | p99 ms |');
  say('|---|---|---|');
  say(
    `| write to delivery through the service (PATCH sent to event read) | ${percentile(latencies, 50).toFixed(1)} | ${percentile(latencies, 99).toFixed(1)} |`,
  );
  say(
    `| of which the write itself (PATCH sent to its answer) | ${percentile(answered, 50).toFixed(1)} | ${percentile(answered, 99).toFixed(1)} |`,
  );
  say(
    `| baseline: Redis PUBLISH to a subscriber, same rate | ${bus.p50.toFixed(2)} | ${bus.p99.toFixed(2)} |`,
  );
  say(
    `| alternative: PostgreSQL NOTIFY (committed) to LISTEN, same rate | ${notify.p50.toFixed(2)} | ${notify.p99.toFixed(2)} |`,
  );
  say();
  say(
    `RSS: ${mib(rssBefore)} MiB before the streams, ${mib(rssAfter)} MiB with them open: ${((rssAfter - rssBefore) / streams.length / 1024).toFixed(1)} KiB per open stream (V8 heap used: ${((heapAfter - heapBefore) / streams.length / 1024).toFixed(1)} KiB per stream)`,
  );
  say(
    `commits/s, ${CONCURRENCY} clients each INSERT + COMMIT: ${commits.plain.toFixed(0)} without NOTIFY, ${commits.notify.toFixed(0)} with NOTIFY in the transaction (${((commits.notify / commits.plain) * 100).toFixed(0)}%)`,
  );
  say();
}

/** An SSE reader that reports each delta's `<message>:<offset>` as it arrives. */
class StreamReader {
  private constructor(private readonly abort: AbortController) {}

  static async open(
    url: string,
    authorization: string,
    onDelta: (key: string) => void,
  ): Promise<StreamReader> {
    const abort = new AbortController();
    const response = await fetch(url, {
      headers: { Authorization: authorization, Accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (response.status !== 200) throw new Error(`stream answered ${response.status}`);
    void (async () => {
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!block.includes('event: message.delta')) continue;
            const data = JSON.parse(block.slice(block.indexOf('data: ') + 6));
            onDelta(`${data.id}:${data.offset}`);
          }
        }
      } catch {
        // closed
      }
    })();
    return new StreamReader(abort);
  }

  close(): void {
    this.abort.abort();
  }
}

async function redisPubSubLatency(
  port: number,
  rate: number,
  seconds: number,
): Promise<{ p50: number; p99: number }> {
  const publisher = createClient({ socket: { host: '127.0.0.1', port } });
  const subscriber = publisher.duplicate();
  await publisher.connect();
  await subscriber.connect();
  const latencies: number[] = [];
  await subscriber.subscribe('bench-latency', (message) =>
    latencies.push(performance.now() - Number(message)),
  );
  await paced(rate, seconds, async () => {
    await publisher.publish('bench-latency', String(performance.now()));
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  publisher.destroy();
  subscriber.destroy();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function notifyLatency(rate: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const listener = new Client({ ...BENCH_SERVER, database: DATABASE });
  // Notifications sent concurrently, as writers would send them.
  const notifier = new Pool({ ...BENCH_SERVER, database: DATABASE, max: 4 });
  await listener.connect();
  const latencies: number[] = [];
  listener.on('notification', (note) => latencies.push(performance.now() - Number(note.payload)));
  await listener.query('LISTEN bench_latency');
  await paced(rate, seconds, async () => {
    await notifier.query(`SELECT pg_notify('bench_latency', $1)`, [String(performance.now())]);
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  await listener.end();
  await notifier.end();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** NOTIFY takes a cluster-wide lock at commit: what it costs concurrent committers. */
async function notifyCommitCost(): Promise<{ plain: number; notify: number }> {
  const setup = new Client({ ...BENCH_SERVER, database: DATABASE });
  await setup.connect();
  await setup.query(`CREATE TABLE IF NOT EXISTS bench_notes (id bigserial PRIMARY KEY, body text)`);
  await setup.end();
  const clients = await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const client = new Client({ ...BENCH_SERVER, database: DATABASE });
      await client.connect();
      return client;
    }),
  );
  const rate = async (withNotify: boolean): Promise<number> => {
    const result = await loop(5, CONCURRENCY, async (worker) => {
      const client = clients[worker];
      await client.query('BEGIN');
      await client.query(`INSERT INTO bench_notes (body) VALUES ('x')`);
      if (withNotify) await client.query(`SELECT pg_notify('bench_commit', 'x')`);
      await client.query('COMMIT');
    });
    return result.perSecond;
  };
  const plain = await rate(false);
  const notify = await rate(true);
  await Promise.all(clients.map((client) => client.end()));
  return { plain, notify };
}

async function paced(rate: number, seconds: number, send: () => Promise<void>): Promise<void> {
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: rate * seconds }, async (_, index) => {
      const due = startedAt + (index * 1000) / rate;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      await send();
    }),
  );
}

/** 304 to a conditional read the cache holds, against the same read's cached 200. */
async function conditionalReads(app: BenchApp, say: (line?: string) => void): Promise<void> {
  const api = await apiFor(app, 3);
  const conversation = await call(api, 'POST', '/api/v1/conversations', {
    initial_message: '캐시된 대화',
  });
  for (let batch = 0; batch < 2; batch += 1) {
    await call(api, 'POST', `/api/v1/conversations/${conversation.id}/messages`, {
      messages: Array.from({ length: 10 }, (_, index) => ({
        role: index % 2 ? 'assistant' : 'user',
        content: `관세율 문의 ${batch * 10 + index} `.repeat(8),
      })),
    });
  }
  const url = `${app.url}/api/v1/conversations/${conversation.id}`;
  const warm = await fetch(url, { headers: api.headers });
  await warm.arrayBuffer();
  const hit = await fetch(url, { headers: api.headers });
  const body = await hit.arrayBuffer();
  const tag = hit.headers.get('etag')!;
  if (hit.headers.get('x-cache') !== 'HIT') throw new Error('the read is not cached');
  const withRate = async (headers: Record<string, string>) => {
    const result = await runLoad({ url, headers, seconds: SECONDS / ROUNDS });
    return { ...result, perSecond: result.requestsPerSecond };
  };
  const { a: notModified, b: ok } = await inTurns(
    () => withRate({ ...api.headers, 'If-None-Match': tag }),
    () => withRate(api.headers),
  );
  say('### Conditional reads');
  say();
  say(
    `GET /:id with its newest 20 messages (${(body.byteLength / 1024).toFixed(1)} KiB), cached, autocannon with 50 connections, ${ROUNDS} turns each of ${SECONDS / ROUNDS} s (the median turn shown)`,
  );
  say();
  say('| answer | req/s | p50 / p99 ms | non-2xx |');
  say('|---|---|---|---|');
  say(
    `| 304 (If-None-Match, tag from the cached text) | ${notModified.requestsPerSecond.toFixed(0)} | ${notModified.p50.toFixed(1)} / ${notModified.p99.toFixed(1)} | ${notModified.non2xx} |`,
  );
  say(
    `| baseline: the cached 200 | ${ok.requestsPerSecond.toFixed(0)} | ${ok.p50.toFixed(1)} / ${ok.p99.toFixed(1)} | ${ok.non2xx} |`,
  );
  say(
    `304 / cached 200: ${((notModified.requestsPerSecond / ok.requestsPerSecond) * 100).toFixed(0)}%`,
  );
}

/** The app's V8 heap in use, from its own /metrics. */
async function heapUsed(app: BenchApp): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? 0);
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
