import { createServer } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import {
  candidatesStatement,
  countStatement,
  pageStatement,
  smallUserStatement,
  type Statement,
} from '../../src/search/search.repository';
import { planSearch, type SearchStep } from '../../src/search/search-plan';
import { prepareQuery } from '../../src/search/search-query';
import { searchTerms } from '../../src/conversations/messages/search-terms';
import { HEAD_STATE, SIBLING_PLACES } from '../../src/conversations/messages/message-statements';
import { SEARCHES_PER_USER } from '../../src/search/search-admission';
import { benchToken, freePort, startBenchApp, type BenchApp } from '../support/bench-app';
import { BENCH_SERVER, migratedDataSource, recreateDatabase } from '../support/bench-database';
import { runLoad, type LoadResult } from '../support/load';
import { runPgLoad } from '../support/pg-load';
import { percentile } from '../support/random';
import { HEAVY_USER, SEARCH_BENCH_DATABASE } from '../search/generate';
import { startBenchPeer } from './peer/start-peer';

const DATABASE = process.env.BENCH_HTTP_DB ?? 'chatbot_bench_http';
const REDIS = {
  REDIS_HOST: process.env.BENCH_REDIS_HOST ?? '127.0.0.1',
  REDIS_PORT: process.env.BENCH_REDIS_PORT ?? '6379',
};
const USER = 7;
const LIST_USER = 8;
const WARMUP_SECONDS = 3;
const APPEND_BODY = '{"role":"user","content":"관세율 조회 방법을 알려주세요"}';

interface Row {
  scenario: string;
  /** Medians over the pairs of runs. */
  service: LoadResult;
  /** Null where no peer is written (search). */
  peer: LoadResult | null;
  limit: LoadResult;
  limitName: string;
  servicePeakRss: number;
  peerPeakRss: number | null;
}

/**
 * The HTTP benchmark of the issue: each scenario against the production build (one process,
 * Fastify, real PostgreSQL and Redis), against its peer (the same route hand-written on bare
 * Fastify, pg and jose, bench/http/peer/) and against a limit doing the same work without any
 * HTTP framework, in the same run, 50 connections, each run after a warm-up. Service and peer
 * run in turns, service first, `--pairs` times; the limit once. Prints one table.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      pairs: { type: 'string', default: '3' },
      smoke: { type: 'boolean', default: false },
    },
  });
  const seconds = values.smoke ? 1 : Number(values.seconds);
  const pairs = values.smoke ? 1 : Number(values.pairs);
  const warmup = values.smoke ? 0.5 : WARMUP_SECONDS;
  const log = (line: string): void => console.error(`[bench] ${line}`);

  log('loading data');
  const fixture = await loadFixture(
    values.smoke ? [100, 1000] : [100, 10_000, 100_000],
    values.smoke ? [10, 100] : [10, 10_000],
  );
  const pool = new Pool({ ...BENCH_SERVER, database: DATABASE, max: 30 });
  const rows: Row[] = [];
  const app = await startBenchApp(DATABASE, REDIS);
  const peer = await startBenchPeer(DATABASE, REDIS);
  const token = await benchToken(USER, 'messages:write:assistant');
  const auth = { Authorization: `Bearer ${token}` };
  // A warm-up run (JIT, pools, caches), then the measured one.
  const measure = async (load: (seconds: number) => Promise<LoadResult>): Promise<LoadResult> => {
    await load(warmup);
    return load(seconds);
  };
  // Service, peer, service, peer...: a drift of the machine (the other cores' load, PostgreSQL's
  // caches) reaches both sides alike.
  const inTurns = async (
    load: (url: string, seconds: number) => Promise<LoadResult>,
  ): Promise<{ service: LoadResult; peer: LoadResult }> => {
    const runs: { service: LoadResult[]; peer: LoadResult[] } = { service: [], peer: [] };
    for (let pair = 0; pair < pairs; pair += 1) {
      runs.service.push(await measure((seconds) => load(app.url, seconds)));
      runs.peer.push(await measure((seconds) => load(peer.url, seconds)));
    }
    return { service: medianOf(runs.service), peer: medianOf(runs.peer) };
  };
  const peaks = () => ({ servicePeakRss: app.peakRss(), peerPeakRss: peer.peakRss() });
  const listToken = await benchToken(LIST_USER);
  const listAuth = { Authorization: `Bearer ${listToken}` };
  const pagePath = `/api/v1/conversations/${fixture.page50}/messages?limit=50`;
  const uncachedPagePath = `${pagePath}&after_seq=0`;
  // archived=false is the default list, but not the first page the service caches (its key
  // takes a bare limit, offset or page): the list is read from PostgreSQL.
  const listPath = '/api/v1/conversations?limit=20&offset=0&archived=false';
  let next = 0;
  const target = (): string =>
    fixture.appendConversations[(next += 1) % fixture.appendConversations.length];
  try {
    log('checking that the peer answers as the service does');
    // The append first: it replaces the user's cache version, so that no entry an earlier run
    // cached from other data (the Redis server outlives the database) is read.
    await checkPeerAppend(app, peer, `/api/v1/conversations/${target()}/messages`, auth);
    await checkPeer(app, peer, [
      { path: pagePath, headers: auth, cache: 'HIT' },
      { path: uncachedPagePath, headers: auth, cache: 'MISS' },
      { path: listPath, headers: listAuth, cache: 'MISS' },
    ]);

    // 1. Append one message, durable commit: the API vs the same transaction through pg.
    rows.push({
      scenario: 'append one message (POST)',
      ...(await inTurns((url, seconds) =>
        runLoad({
          url,
          method: 'POST',
          seconds,
          headers: { ...auth, 'Content-Type': 'application/json' },
          path: () => `/api/v1/conversations/${target()}/messages`,
          body: APPEND_BODY,
        }),
      )),
      limit: await runPgLoad(pool, (client) => appendStraight(client, target()), { seconds }),
      limitName: 'INSERT + UPDATE transaction via pg',
      ...peaks(),
    });

    // 2. First page of 50 messages from the cache vs a bare node:http server sending the same bytes.
    // The appends above replaced the user's cache version: the first read fills the new one.
    await fetch(`${app.url}${pagePath}`, { headers: auth });
    const cachedResponse = await fetch(`${app.url}${pagePath}`, { headers: auth });
    if (cachedResponse.headers.get('x-cache') !== 'HIT')
      throw new Error('the page read is not served from the cache');
    const bytes = Buffer.from(await cachedResponse.arrayBuffer());
    const bare = await bareServer(bytes);
    rows.push({
      scenario: 'first page of 50, cached (Redis hit)',
      ...(await inTurns((url, seconds) =>
        runLoad({ url: `${url}${pagePath}`, seconds, headers: auth }),
      )),
      limit: await measure((seconds) => runLoad({ url: `${bare.url}${pagePath}`, seconds })),
      limitName: 'bare node:http, same bytes',
      ...peaks(),
    });
    bare.close();

    // 3. The same page uncached (after_seq=0 is not the cached first page) vs the same SELECTs via pg.
    rows.push({
      scenario: 'page of 50, uncached',
      ...(await inTurns((url, seconds) =>
        runLoad({ url: `${url}${uncachedPagePath}`, seconds, headers: auth }),
      )),
      limit: await runPgLoad(pool, (client) => pageStraight(client, fixture.page50), {
        seconds,
      }),
      limitName: 'ownership + page SELECTs via pg',
      ...peaks(),
    });

    // 4. List 20 conversations, uncached, vs the same SELECTs via pg.
    rows.push({
      scenario: 'list 20 conversations, uncached',
      ...(await inTurns((url, seconds) =>
        runLoad({ url: `${url}${listPath}`, seconds, headers: listAuth }),
      )),
      limit: await runPgLoad(pool, (client) => listStraight(client, LIST_USER), { seconds }),
      limitName: 'list + count SELECTs via pg',
      ...peaks(),
    });
  } finally {
    await app.stop();
    await peer.stop();
  }

  const searchRow = await benchSearch(seconds, measure);
  if (searchRow) rows.push(searchRow);

  const growth = await benchGrowth(fixture, values.smoke ? 1 : 5);
  const boots = [];
  for (let i = 0; i < 3; i += 1) {
    const booted = await startBenchApp(DATABASE, REDIS);
    boots.push(booted.bootMs);
    await booted.stop();
  }
  await pool.end();
  printTable(rows, growth, percentile(boots, 50), pairs);
}

async function loadFixture(pageSizes: number[], listSizes: number[]) {
  await recreateDatabase(DATABASE);
  const dataSource = await migratedDataSource(DATABASE);
  const conversation = async (userId: number, id: string, messages: number): Promise<string> => {
    await dataSource.query(
      `INSERT INTO conversations (id, user_id, title, message_count) VALUES ($1, $2, $3, $4)`,
      [id, userId, id, messages],
    );
    for (let from = 1; from <= messages; from += 5000) {
      const to = Math.min(messages, from + 4999);
      const content =
        '관세율 조회 방법을 알려주세요. The customs tariff for HS 8471.30 is 0% under the FTA.';
      await dataSource.query(
        `INSERT INTO messages (id, parent_id, depth, conversation_id, user_id, seq, role, content, timestamp, search_terms)
         SELECT $1 || '_' || s, CASE WHEN s > 1 THEN $1 || '_' || (s - 1) END, s, $1, $2, s, CASE WHEN s % 2 = 1 THEN 'user' ELSE 'assistant' END, $3, now() - (($4 - s) * interval '1 second'), $5::text[]
         FROM generate_series($6::int, $7::int) s`,
        [id, userId, content, messages, searchTerms(content), from, to],
      );
    }
    if (messages > 0) {
      await dataSource.query(`UPDATE conversations SET head_message_id = $1 WHERE id = $2`, [
        `${id}_${messages}`,
        id,
      ]);
    }
    return id;
  };
  const appendConversations: string[] = [];
  for (let i = 0; i < 200; i += 1)
    appendConversations.push(await conversation(USER, `conv_append_${i}`, 0));
  const page50 = await conversation(USER, 'conv_page50', 50);
  const growthPages: Array<{ size: number; id: string }> = [];
  for (const size of pageSizes)
    growthPages.push({ size, id: await conversation(USER, `conv_growth_${size}`, size) });
  const growthLists: Array<{ size: number; userId: number }> = [];
  for (const [index, size] of listSizes.entries()) {
    const userId = 100 + index;
    await dataSource.query(
      `INSERT INTO conversations (id, user_id, title, updated_at) SELECT 'conv_list_' || $1::int || '_' || s, $1::int, 'c' || s, now() - s * interval '1 second' FROM generate_series(1, $2::int) s`,
      [userId, size],
    );
    growthLists.push({ size, userId });
  }
  await dataSource.query(
    `INSERT INTO conversations (id, user_id, title) SELECT 'conv_l8_' || s, ${LIST_USER}, 'c' || s FROM generate_series(1, 40) s`,
  );
  await dataSource.query('VACUUM (ANALYZE)');
  await dataSource.destroy();
  return { appendConversations, page50, growthPages, growthLists };
}

async function appendStraight(pool: Pool, conversationId: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      `UPDATE conversations SET message_count = COALESCE(message_count, 0) + 1, updated_at = now() WHERE id = $1 AND user_id = $2 AND is_active = true RETURNING message_count, updated_at, head_message_id`,
      [conversationId, USER],
    );
    // The service's branch statements: the head's depth and the unlinked-tail probe, the head move.
    const [head] = (await client.query(HEAD_STATE, [conversationId, USER, rows[0].head_message_id]))
      .rows;
    const content = '관세율 조회 방법을 알려주세요';
    const id = `msg_${process.hrtime.bigint()}${Math.random()}`.slice(0, 50);
    await client.query(
      `INSERT INTO messages (id, parent_id, depth, conversation_id, user_id, seq, role, content, timestamp, search_terms) VALUES ($1, $2, $3, $4, $5, $6, 'user', $7, $8, $9)`,
      [
        id,
        rows[0].head_message_id,
        (head.head_depth ?? 0) + 1,
        conversationId,
        USER,
        rows[0].message_count,
        content,
        rows[0].updated_at,
        searchTerms(content),
      ],
    );
    await client.query(
      `UPDATE conversations SET head_message_id = $3 WHERE id = $1 AND user_id = $2`,
      [conversationId, USER, id],
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function pageStraight(pool: Pool, conversationId: string): Promise<void> {
  await pool.query(
    `SELECT * FROM conversations WHERE id = $1 AND user_id = $2 AND is_active = true`,
    [conversationId, USER],
  );
  // The page holds the head: the service reads the branch's length from it, then the siblings.
  const { rows } = await pool.query(
    `SELECT id, conversation_id, user_id, seq, role, content, agent_used, routing_info, "references", timestamp, metadata, parent_id, depth, on_active_branch FROM messages WHERE conversation_id = $1 AND user_id = $2 AND on_active_branch = true AND seq > 0 ORDER BY seq LIMIT 51`,
    [conversationId, USER],
  );
  const page = rows.slice(0, 50);
  await pool.query(SIBLING_PLACES, [
    conversationId,
    USER,
    page.map((row) => row.id),
    page.map((row) => row.parent_id),
    page.map((row) => row.seq),
  ]);
}

async function listStraight(pool: Pool, userId: number): Promise<void> {
  await Promise.all([
    pool.query(
      `SELECT id, user_id, title, created_at, updated_at, message_count, last_agent_used, is_active FROM conversations WHERE user_id = $1 AND is_active = true ORDER BY updated_at DESC, id DESC LIMIT 21 OFFSET 0`,
      [userId],
    ),
    pool.query(`SELECT count(*)::int FROM conversations WHERE user_id = $1 AND is_active = true`, [
      userId,
    ]),
  ]);
}

/** Search for the heavy user of the search benchmark's data set, when it has been loaded. */
async function benchSearch(
  seconds: number,
  measure: (load: (seconds: number) => Promise<LoadResult>) => Promise<LoadResult>,
): Promise<Row | null> {
  const probe = new Pool({ ...BENCH_SERVER, database: SEARCH_BENCH_DATABASE, max: 30 });
  try {
    await probe.query('SELECT 1 FROM messages LIMIT 1');
  } catch {
    console.error(
      '[bench] search data set missing: run npm run bench:search first; search row skipped',
    );
    await probe.end();
    return null;
  }
  const app = await startBenchApp(SEARCH_BENCH_DATABASE, REDIS);
  try {
    const query = '관세';
    const request = {
      userId: HEAVY_USER,
      words: prepareQuery(query),
      filters: {},
      sort: 'relevance' as const,
      limit: 20,
      offset: 0,
    };
    const token = await benchToken(HEAVY_USER);
    // The service runs SEARCHES_PER_USER searches of a user at once and answers 429 beyond:
    // both sides get that many connections.
    return {
      scenario: `search "${query}" for the heavy user (${SEARCHES_PER_USER} connection${SEARCHES_PER_USER === 1 ? '' : 's'})`,
      service: await measure((seconds) =>
        runLoad({
          url: `${app.url}/api/v1/conversations/search`,
          method: 'POST',
          connections: SEARCHES_PER_USER,
          seconds,
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ query }),
        }),
      ),
      peer: null,
      limit: await runPgLoad(
        probe,
        async (pool) => {
          // The service's statements in its order and on its paths: size, capped count, page.
          const plan = planSearch({ ...request, recheck: request.words.some((w) => !w.exact) });
          const { sql, params } = smallUserStatement(HEAVY_USER, plan);
          const [{ total }] = (await pool.query(sql, params)).rows;
          const countStep = plan.count(total < plan.smallUserLimit);
          const [{ count: matches }] = await onPath(
            pool,
            countStep,
            countStatement(request, countStep),
          );
          let cut = false;
          if (countStep.recheckLimit !== null && matches < countStep.matchLimit) {
            const [{ count }] = await onPath(
              pool,
              countStep,
              candidatesStatement(request, countStep.recheckLimit),
            );
            cut = count >= countStep.recheckLimit;
          }
          const pageStep = plan.page(countStep, { matches, cut });
          if (pageStep) await onPath(pool, pageStep, pageStatement(request, pageStep));
        },
        { seconds, concurrency: SEARCHES_PER_USER },
      ),
      limitName: 'the same SQL statements via pg',
      servicePeakRss: app.peakRss(),
      peerPeakRss: null,
    };
  } finally {
    await app.stop();
    await probe.end();
  }
}

/** A statement under the planner settings the service uses for its path. */
async function onPath(pool: Pool, step: SearchStep, { sql, params }: Statement): Promise<any[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(step.plannerSettings);
    const { rows } = await client.query(sql, params);
    await client.query('COMMIT');
    return rows;
  } finally {
    client.release();
  }
}

async function benchGrowth(fixture: Awaited<ReturnType<typeof loadFixture>>, seconds: number) {
  const app = await startBenchApp(DATABASE, REDIS);
  try {
    const auth = { Authorization: `Bearer ${await benchToken(USER)}` };
    const pages = [];
    for (const { size, id } of fixture.growthPages) {
      await runLoad({
        url: `${app.url}/api/v1/conversations/${id}/messages?limit=50&before_seq=2147483647`,
        connections: 10,
        seconds: 1,
        headers: auth,
      });
      const result = await runLoad({
        url: `${app.url}/api/v1/conversations/${id}/messages?limit=50&before_seq=2147483647`,
        connections: 10,
        seconds,
        headers: auth,
      });
      pages.push({ size, result });
    }
    const lists = [];
    for (const { size, userId } of fixture.growthLists) {
      const token = await benchToken(userId);
      await runLoad({
        url: `${app.url}/api/v1/conversations?limit=20&offset=0`,
        connections: 10,
        seconds: 1,
        headers: { Authorization: `Bearer ${token}` },
      });
      const result = await runLoad({
        url: `${app.url}/api/v1/conversations?limit=20&offset=0`,
        connections: 10,
        seconds,
        headers: { Authorization: `Bearer ${await benchToken(userId)}` },
      });
      lists.push({ size, result });
    }
    return { pages, lists };
  } finally {
    await app.stop();
  }
}

/** The medians of runs of one side: req/s, p50 and p99 each; errors and requests summed. */
function medianOf(runs: LoadResult[]): LoadResult {
  const median = (pick: (run: LoadResult) => number): number => percentile(runs.map(pick), 50);
  const sum = (pick: (run: LoadResult) => number): number =>
    runs.reduce((total, run) => total + pick(run), 0);
  return {
    requestsPerSecond: median((run) => run.requestsPerSecond),
    p50: median((run) => run.p50),
    p99: median((run) => run.p99),
    errors: sum((run) => run.errors),
    non2xx: sum((run) => run.non2xx),
    total: sum((run) => run.total),
  };
}

/**
 * Fails the run unless the peer's reads answer the service's bytes, byte for byte, both served
 * as `cache` says (a cached read is read twice: the first fills the cache).
 */
async function checkPeer(
  app: BenchApp,
  peer: BenchApp,
  reads: Array<{ path: string; headers: Record<string, string>; cache: 'HIT' | 'MISS' }>,
): Promise<void> {
  const answerOf = async (
    side: BenchApp,
    { path, headers, cache }: (typeof reads)[number],
  ): Promise<Buffer> => {
    if (cache === 'HIT') await fetch(`${side.url}${path}`, { headers });
    const response = await fetch(`${side.url}${path}`, { headers });
    const served = `${response.status} ${response.headers.get('content-type')} ${response.headers.get('x-cache')}`;
    if (served !== `200 application/json; charset=utf-8 ${cache}`)
      throw new Error(`${side === peer ? 'peer' : 'service'} ${path}: ${served}`);
    return Buffer.from(await response.arrayBuffer());
  };
  for (const read of reads) {
    const [expected, actual] = [await answerOf(app, read), await answerOf(peer, read)];
    if (!expected.equals(actual)) {
      let at = 0;
      while (at < expected.length && expected[at] === actual[at]) at += 1;
      throw new Error(
        `the peer's answer to ${read.path} is not the service's: ${actual.length} bytes for ${expected.length}, the first difference at byte ${at}: ${actual.subarray(at, at + 60).toString()} for ${expected.subarray(at, at + 60).toString()}`,
      );
    }
  }
}

/** Fails the run unless the peer's 201 to an append has the service's keys, nested ones too. */
async function checkPeerAppend(
  app: BenchApp,
  peer: BenchApp,
  path: string,
  auth: Record<string, string>,
): Promise<void> {
  const shapeOf = async (side: BenchApp): Promise<string> => {
    const response = await fetch(`${side.url}${path}`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: APPEND_BODY,
    });
    if (response.status !== 201)
      throw new Error(`${side === peer ? 'peer' : 'service'} POST ${path}: ${response.status}`);
    return JSON.stringify(keysOf(await response.json()));
  };
  const [expected, actual] = [await shapeOf(app), await shapeOf(peer)];
  if (expected !== actual)
    throw new Error(
      `the peer's 201 to POST ${path} has the keys ${actual}, the service's ${expected}`,
    );
}

/** A JSON value's keys in order, nested, with arrays read by their first element. */
function keysOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [keysOf(value[0])];
  // Keys only: values differ between any two appends (ids, times, a first message's null parent).
  if (value === null || typeof value !== 'object') return null;
  return Object.entries(value).map(([key, field]) => [key, keysOf(field)]);
}

async function bareServer(bytes: Buffer): Promise<{ url: string; close(): void }> {
  const port = await freePort();
  const server = createServer((_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': bytes.length,
    });
    response.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

function printTable(
  rows: Row[],
  growth: Awaited<ReturnType<typeof benchGrowth>>,
  bootMs: number,
  pairs: number,
): void {
  const mib = (bytes: number | null): string =>
    bytes === null ? '–' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const rate = (result: LoadResult | null): string => {
    if (!result) return '–';
    const errors = result.errors + result.non2xx;
    return `${result.requestsPerSecond.toFixed(0)}${errors > 0 ? ` (${errors} errors)` : ''}`;
  };
  const latency = (result: LoadResult | null): string =>
    result ? `${result.p50.toFixed(1)} / ${result.p99.toFixed(1)}` : '–';
  const percent = (part: number, whole: number | undefined): string =>
    whole === undefined ? '–' : `${((100 * part) / whole).toFixed(0)}%`;
  console.log(
    `\nHTTP benchmark, ${new Date().toISOString()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, 50 connections, service and peer in turns (${pairs} pair${pairs === 1 ? '' : 's'}, medians), PostgreSQL ${BENCH_SERVER.host}:${BENCH_SERVER.port}, Redis ${REDIS.REDIS_HOST}:${REDIS.REDIS_PORT}\n`,
  );
  console.log(
    '| scenario | service req/s | service p50 / p99 ms | peer req/s | peer p50 / p99 ms | limit | limit req/s | service / peer | service / limit | service p99 / peer p99 | service peak RSS | peer peak RSS |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const { service, peer, limit } = row;
    const p99Ratio = peer ? `${(service.p99 / peer.p99).toFixed(2)}×` : '–';
    console.log(
      `| ${row.scenario} | ${rate(service)} | ${latency(service)} | ${rate(peer)} | ${latency(peer)} | ${row.limitName} | ${rate(limit)} | ${percent(service.requestsPerSecond, peer?.requestsPerSecond)} | ${percent(service.requestsPerSecond, limit.requestsPerSecond)} | ${p99Ratio} | ${mib(row.servicePeakRss)} | ${mib(row.peerPeakRss)} |`,
    );
  }
  console.log('\n| growth | size | req/s (10 connections) | p50 / p99 ms |\n|---|---|---|---|');
  for (const { size, result } of growth.pages)
    console.log(
      `| newest page of 50 | ${size.toLocaleString()} messages | ${result.requestsPerSecond.toFixed(0)} | ${result.p50.toFixed(1)} / ${result.p99.toFixed(1)} |`,
    );
  for (const { size, result } of growth.lists)
    console.log(
      `| list of 20 | ${size.toLocaleString()} conversations | ${result.requestsPerSecond.toFixed(0)} | ${result.p50.toFixed(1)} / ${result.p99.toFixed(1)} |`,
    );
  console.log(
    `\nboot to ready (median of 3, running PostgreSQL and Redis): ${bootMs.toFixed(0)} ms`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
