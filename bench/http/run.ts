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
import { HEAD_STATE } from '../../src/conversations/messages/branches.repository';
import { SIBLING_PLACES } from '../../src/conversations/messages/messages.repository';
import { benchToken, freePort, startBenchApp } from '../support/bench-app';
import { BENCH_SERVER, migratedDataSource, recreateDatabase } from '../support/bench-database';
import { runLoad, type LoadResult } from '../support/load';
import { runPgLoad } from '../support/pg-load';
import { percentile } from '../support/random';
import { HEAVY_USER, SEARCH_BENCH_DATABASE } from '../search/generate';

const DATABASE = process.env.BENCH_HTTP_DB ?? 'chatbot_bench_http';
const REDIS = {
  REDIS_HOST: process.env.BENCH_REDIS_HOST ?? '127.0.0.1',
  REDIS_PORT: process.env.BENCH_REDIS_PORT ?? '6379',
};
const USER = 7;
const LIST_USER = 8;
const WARMUP_SECONDS = 3;

interface Row {
  scenario: string;
  app: LoadResult;
  baseline: LoadResult;
  baselineName: string;
  peakRss: number;
}

/**
 * The HTTP benchmark of the issue: each scenario against the production build (one process,
 * Fastify, real PostgreSQL and Redis) and against a baseline doing the same work without the
 * service, in the same run, 50 connections, after a warm-up. Prints one table.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      smoke: { type: 'boolean', default: false },
    },
  });
  const seconds = values.smoke ? 1 : Number(values.seconds);
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
  const token = await benchToken(USER, 'messages:write:assistant');
  const auth = { Authorization: `Bearer ${token}` };
  // A warm-up run (JIT, pools, caches), then the measured one.
  const measure = async (load: (seconds: number) => Promise<LoadResult>): Promise<LoadResult> => {
    await load(warmup);
    return load(seconds);
  };
  const listToken = await benchToken(LIST_USER);
  try {
    // 1. Append one message, durable commit: the API vs the same transaction through pg.
    let next = 0;
    const target = (): string =>
      fixture.appendConversations[(next += 1) % fixture.appendConversations.length];
    rows.push({
      scenario: 'append one message (POST)',
      app: await measure((seconds) =>
        runLoad({
          url: app.url,
          method: 'POST',
          seconds,
          headers: { ...auth, 'Content-Type': 'application/json' },
          path: () => `/api/v1/conversations/${target()}/messages`,
          body: '{"role":"user","content":"관세율 조회 방법을 알려주세요"}',
        }),
      ),
      baseline: await runPgLoad(pool, (client) => appendStraight(client, target()), { seconds }),
      baselineName: 'INSERT + UPDATE transaction via pg',
      peakRss: app.peakRss(),
    });

    // 2. First page of 50 messages from the cache vs a bare node:http server sending the same bytes.
    const pagePath = `/api/v1/conversations/${fixture.page50}/messages?limit=50`;
    await fetch(`${app.url}${pagePath}`, { headers: auth });
    const cachedResponse = await fetch(`${app.url}${pagePath}`, { headers: auth });
    if (cachedResponse.headers.get('x-cache') !== 'HIT')
      throw new Error('the page read is not served from the cache');
    const bytes = Buffer.from(await cachedResponse.arrayBuffer());
    const bare = await bareServer(bytes);
    rows.push({
      scenario: 'first page of 50, cached (Redis hit)',
      app: await measure((seconds) =>
        runLoad({ url: `${app.url}${pagePath}`, seconds, headers: auth }),
      ),
      baseline: await measure((seconds) => runLoad({ url: `${bare.url}${pagePath}`, seconds })),
      baselineName: 'bare node:http, same bytes',
      peakRss: app.peakRss(),
    });
    bare.close();

    // 3. The same page uncached (after_seq=0 is not the cached first page) vs the same SELECTs via pg.
    rows.push({
      scenario: 'page of 50, uncached',
      app: await measure((seconds) =>
        runLoad({
          url: `${app.url}/api/v1/conversations/${fixture.page50}/messages?limit=50&after_seq=0`,
          seconds,
          headers: auth,
        }),
      ),
      baseline: await runPgLoad(pool, (client) => pageStraight(client, fixture.page50), {
        seconds,
      }),
      baselineName: 'ownership + page SELECTs via pg',
      peakRss: app.peakRss(),
    });

    // 4. List 20 conversations (offset=0 is not the cached first page) vs the same SELECTs via pg.
    rows.push({
      scenario: 'list 20 conversations, uncached',
      app: await measure((seconds) =>
        runLoad({
          url: `${app.url}/api/v1/conversations?limit=20&offset=0`,
          seconds,
          headers: { Authorization: `Bearer ${listToken}` },
        }),
      ),
      baseline: await runPgLoad(pool, (client) => listStraight(client, LIST_USER), { seconds }),
      baselineName: 'list + count SELECTs via pg',
      peakRss: app.peakRss(),
    });
  } finally {
    await app.stop();
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
  printTable(rows, growth, percentile(boots, 50));
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
    return {
      scenario: `search "${query}" for the heavy user`,
      app: await measure((seconds) =>
        runLoad({
          url: `${app.url}/api/v1/conversations/search`,
          method: 'POST',
          seconds,
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ query }),
        }),
      ),
      baseline: await runPgLoad(
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
        { seconds },
      ),
      baselineName: 'the same SQL statements via pg',
      peakRss: app.peakRss(),
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
): void {
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  console.log(
    `\nHTTP benchmark, ${new Date().toISOString()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, 50 connections, PostgreSQL ${BENCH_SERVER.host}:${BENCH_SERVER.port}, Redis ${REDIS.REDIS_HOST}:${REDIS.REDIS_PORT}\n`,
  );
  console.log(
    '| scenario | app req/s | app p50 / p99 ms | baseline | baseline req/s | baseline p50 / p99 ms | ratio | app peak RSS |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const ratio = row.app.requestsPerSecond / row.baseline.requestsPerSecond;
    const errors =
      row.app.errors + row.app.non2xx > 0 ? ` (${row.app.errors + row.app.non2xx} errors)` : '';
    console.log(
      `| ${row.scenario} | ${row.app.requestsPerSecond.toFixed(0)}${errors} | ${row.app.p50.toFixed(1)} / ${row.app.p99.toFixed(1)} | ${row.baselineName} | ${row.baseline.requestsPerSecond.toFixed(0)} | ${row.baseline.p50.toFixed(1)} / ${row.baseline.p99.toFixed(1)} | ${(100 * ratio).toFixed(0)}% | ${mib(row.peakRss)} |`,
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
