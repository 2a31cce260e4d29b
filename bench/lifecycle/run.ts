import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { TAG_COUNTS } from '../../src/conversations/conversations.repository';
import { tagKey } from '../../src/conversations/tags';
import {
  countStatement,
  filtersOf,
  pageStatement,
  type ConversationFilters,
  type Statement,
} from '../../src/conversations/conversation-list';
import { benchToken, startBenchApp } from '../support/bench-app';
import { BENCH_SERVER, migratedDataSource, recreateDatabase } from '../support/bench-database';
import { percentile, SeededRandom } from '../support/random';

const DATABASE = process.env.BENCH_LIFECYCLE_DB ?? 'chatbot_bench_lifecycle';
const ROOT = join(__dirname, '..', '..');
const SMOKE = process.argv.includes('--smoke');

const USER = 1;
const CONVERSATIONS = SMOKE ? 1_000 : 10_000;
const OTHER_USERS = SMOKE ? 5 : 40;
const OTHER_CONVERSATIONS = SMOKE ? 200 : 2_000;
const TAGS = 50;
const ROUNDS = SMOKE ? 30 : 400;
const PURGE_CONVERSATIONS = SMOKE ? 2_000 : 20_000;
const PURGE_MESSAGES_EACH = 10;
const EXPIRED_KEYS = SMOKE ? 5_000 : 50_000;
const EXPORT_USER = 2;
const EXPORT_CONVERSATIONS = SMOKE ? 20 : 200;
const EXPORT_MESSAGES_EACH = 500;
const EXPORT_CONTENT = `${'관세 '.repeat(50)}${'x'.repeat(650)}`;

/**
 * The lifecycle's costs on a user with 10,000 conversations (20% archived, 5% pinned, 5% in the
 * trash, 50 tags) among 80,000 of other users: p50/p95 of each filtered list (page and count, the
 * service's own statements) next to today's unfiltered list (the statements the service issued
 * before archive existed), run in the same session; the purge's throughput and its longest
 * statement (the real `db:purge`, compiled); the export's speed and the app process's memory.
 */
async function main(): Promise<void> {
  const started = Date.now();
  await recreateDatabase(DATABASE);
  await (await migratedDataSource(DATABASE)).destroy();
  const db = new Client({ ...BENCH_SERVER, database: DATABASE });
  await db.connect();
  try {
    const loadStarted = performance.now();
    await loadConversations(db);
    await db.query('VACUUM ANALYZE conversations');
    console.log(
      `Lifecycle benchmark, ${new Date().toISOString()}: user ${USER} with ${CONVERSATIONS.toLocaleString('en-US')} conversations (20% archived, 5% pinned, 5% in the trash, ${TAGS} tags), ${(OTHER_USERS * OTHER_CONVERSATIONS).toLocaleString('en-US')} of other users; loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s\n`,
    );
    await benchLists(db);
    await benchExport(db);
    await benchPurge(db);
  } finally {
    await db.end();
  }
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function loadConversations(db: Client): Promise<void> {
  const random = new SeededRandom(20261216);
  // Tags by Zipf-ish popularity: a few common, many rare; 0 to 3 per conversation.
  const tagNames = Array.from({ length: TAGS }, (_, i) => (i % 2 ? `Tag${i}` : `태그${i}`));
  const rows: Array<{ tags: string[]; archived: boolean; pinned: boolean; trashed: boolean }> = [];
  for (let i = 0; i < CONVERSATIONS; i += 1) {
    const count = random.int(4);
    const tags = [
      ...new Set(
        Array.from({ length: count }, () => tagNames[Math.floor(TAGS * random.next() ** 2)]),
      ),
    ];
    rows.push({
      tags,
      archived: random.next() < 0.2,
      pinned: random.next() < 0.05,
      trashed: random.next() < 0.05,
    });
  }
  await db.query(
    `INSERT INTO conversations (id, user_id, title, message_count, created_at, updated_at,
       is_archived, is_pinned, tags, tag_keys, is_active, deleted_at)
     SELECT 'conv_bench_' || lpad(r.n::text, 6, '0'), $1, 'conversation ' || r.n, 5,
            now() - (r.n * interval '1 minute') - interval '1 day', now() - (r.n * interval '1 minute'),
            r.archived, r.pinned,
            ARRAY(SELECT jsonb_array_elements_text(r.tags)), ARRAY(SELECT jsonb_array_elements_text(r.keys)),
            NOT r.trashed, CASE WHEN r.trashed THEN now() - (r.n * interval '1 second') END
     FROM jsonb_to_recordset($2::jsonb) AS r(n int, archived boolean, pinned boolean, trashed boolean, tags jsonb, keys jsonb)`,
    [USER, JSON.stringify(rows.map((row, n) => ({ n, ...row, keys: row.tags.map(tagKey) })))],
  );
  await db.query(
    `INSERT INTO conversations (id, user_id, title, message_count, updated_at, is_archived, tags, tag_keys)
     SELECT 'conv_other_' || u || '_' || c, 100 + u, 'other', 3, now() - c * interval '1 minute',
            c % 5 = 0, CASE WHEN c % 3 = 0 THEN ARRAY['Tag1'] ELSE '{}' END,
            CASE WHEN c % 3 = 0 THEN ARRAY['tag1'] ELSE '{}' END
     FROM generate_series(1, $1) AS u, generate_series(1, $2) AS c`,
    [OTHER_USERS, OTHER_CONVERSATIONS],
  );
}

/** One list read as the service makes it: the page and the count (issued together there). */
async function timeList(db: Client, page: Statement, count: Statement): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const t0 = performance.now();
    await db.query(page.sql, page.params);
    await db.query(count.sql, count.params);
    times.push(performance.now() - t0);
  }
  return times;
}

async function benchLists(db: Client): Promise<void> {
  // Today's list before this change: active conversations, newest first, and their count.
  const baseline = await timeList(
    db,
    {
      sql: `SELECT c.id, c.user_id, c.title, c.created_at, c.updated_at, c.message_count,
              c.last_agent_used, c.is_active, (extract(epoch FROM c.updated_at) * 1000000)::bigint::text AS position_micros
            FROM conversations c WHERE c.user_id = $1 AND c.is_active = true
            ORDER BY c.updated_at DESC, c.id DESC LIMIT $2 OFFSET $3`,
      params: [USER, 21, 0],
    },
    {
      sql: `SELECT count(*)::int AS count FROM conversations WHERE user_id = $1 AND is_active = true`,
      params: [USER],
    },
  );
  const cases: Array<[string, ConversationFilters]> = [
    ['default (archived=false)', filtersOf({})],
    ['archived=true', filtersOf({ archived: true })],
    ['pinned=true', filtersOf({ pinned: true })],
    ['tag (common: Tag1)', filtersOf({ tagKey: tagKey('Tag1') })],
    ['tag (rare: Tag49)', filtersOf({ tagKey: tagKey('Tag49') })],
    ['archived=true&tag=Tag1', filtersOf({ archived: true, tagKey: 'tag1' })],
    ['pinned=true&tag=Tag1', filtersOf({ pinned: true, tagKey: 'tag1' })],
    ['trashed=true', filtersOf({ trashed: true })],
  ];
  const p50 = percentile(baseline, 50);
  const lines = [
    '| list (page of 20 + total_count) | rows | p50 ms | p95 ms | p50 vs today | indexes (page; count) |',
    '|---|---|---|---|---|---|',
    `| today's list (before archive existed) | ${await countOf(db, { sql: 'SELECT count(*) FROM conversations WHERE user_id = $1 AND is_active = true', params: [USER] })} | ${p50.toFixed(2)} | ${percentile(baseline, 95).toFixed(2)} | 1.00 | idx_conversations_active |`,
  ];
  for (const [name, filters] of cases) {
    const count = countStatement(USER, filters, 30);
    const page = pageStatement(USER, filters, 30, { limit: 21 });
    const times = await timeList(db, page, count);
    const indexes = `${(await indexesOf(db, page)).join(', ')}; ${(await indexesOf(db, count)).join(', ')}`;
    lines.push(
      `| ${name} | ${await countOf(db, count)} | ${percentile(times, 50).toFixed(2)} | ${percentile(times, 95).toFixed(2)} | ${(percentile(times, 50) / p50).toFixed(2)} | ${indexes} |`,
    );
  }
  const tagTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const t0 = performance.now();
    await db.query(TAG_COUNTS, [USER]);
    tagTimes.push(performance.now() - t0);
  }
  lines.push(
    `| GET /api/v1/tags (uncached) | ${TAGS} tags | ${percentile(tagTimes, 50).toFixed(2)} | ${percentile(tagTimes, 95).toFixed(2)} | ${(percentile(tagTimes, 50) / p50).toFixed(2)} |`,
  );
  console.log(
    `${lines.join('\n')}\n(${ROUNDS} sequential rounds each, one connection, statements as the service issues them)\n`,
  );
}

/** The indexes the plan of a statement reads. */
async function indexesOf(db: Client, statement: Statement): Promise<string[]> {
  const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${statement.sql}`, statement.params);
  const found = new Set<string>();
  const walk = (node: Record<string, unknown>): void => {
    if (typeof node['Index Name'] === 'string') found.add(node['Index Name']);
    for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? [])
      walk(child);
  };
  walk(rows[0]['QUERY PLAN'][0].Plan);
  return found.size > 0 ? [...found] : ['none (sequential scan)'];
}

async function countOf(db: Client, count: Statement): Promise<number> {
  const { rows } = await db.query(count.sql, count.params);
  return Number(rows[0].count);
}

/**
 * Two users, one with twice the other's history, each exported by a fresh app process: the peak
 * RSS of the two says whether memory grows with the size of the history.
 */
async function benchExport(db: Client): Promise<void> {
  for (const [userId, conversations] of [
    [EXPORT_USER, EXPORT_CONVERSATIONS],
    [EXPORT_USER + 1, EXPORT_CONVERSATIONS * 2],
  ]) {
    await loadExportUser(db, userId, conversations);
    const app = await startBenchApp(DATABASE);
    try {
      const token = await benchToken(userId);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rssBefore = app.rss();
      app.resetPeak();
      const t0 = performance.now();
      const { lines, bytes } = await download(`${app.url}/api/v1/me/export`, token);
      const seconds = (performance.now() - t0) / 1000;
      const messages = lines - 1 - conversations;
      const MiB = 1024 * 1024;
      console.log(
        `export: ${messages.toLocaleString('en-US')} messages (${(bytes / MiB).toFixed(0)} MiB of NDJSON) in ${seconds.toFixed(2)} s: ${Math.round(messages / seconds).toLocaleString('en-US')} messages/s; app process RSS ${(rssBefore / MiB).toFixed(0)} MiB before, peak ${(app.peakRss() / MiB).toFixed(0)} MiB during (+${((app.peakRss() - rssBefore) / MiB).toFixed(0)} MiB, no forced collection)`,
      );
    } finally {
      await app.stop();
    }
  }
}

async function loadExportUser(db: Client, userId: number, conversations: number): Promise<void> {
  await db.query(
    `INSERT INTO conversations (id, user_id, title, message_count, created_at)
     SELECT 'conv_export_' || $1::text || '_' || lpad(c::text, 4, '0'), $1::int, 'export ' || c, $3,
            '2026-01-01'::timestamptz + c * interval '1 minute'
     FROM generate_series(1, $2) AS c`,
    [userId, conversations, EXPORT_MESSAGES_EACH],
  );
  await db.query(
    `INSERT INTO messages (id, conversation_id, user_id, seq, role, content)
     SELECT 'msg_export_' || $1::text || '_' || c || '_' || s,
            'conv_export_' || $1::text || '_' || lpad(c::text, 4, '0'), $1::int, s,
            CASE WHEN s % 2 = 1 THEN 'user' ELSE 'assistant' END, $4 || ' ' || s
     FROM generate_series(1, $2) AS c, generate_series(1, $3) AS s`,
    [userId, conversations, EXPORT_MESSAGES_EACH, EXPORT_CONTENT],
  );
  await db.query('VACUUM ANALYZE messages');
}

function download(url: string, token: string): Promise<{ lines: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { Authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`export answered ${response.statusCode}`));
      let lines = 0;
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      });
      response.on('end', () => resolve({ lines, bytes }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

async function benchPurge(db: Client): Promise<void> {
  await db.query(
    `INSERT INTO conversations (id, user_id, title, message_count, is_active, deleted_at)
     SELECT 'conv_purge_' || i, 200 + i % 100, 'trashed', $2, false, now() - interval '40 days' - i * interval '1 second'
     FROM generate_series(1, $1) AS i`,
    [PURGE_CONVERSATIONS, PURGE_MESSAGES_EACH],
  );
  await db.query(
    `INSERT INTO messages (id, conversation_id, user_id, seq, role, content)
     SELECT 'msg_purge_' || i || '_' || s, 'conv_purge_' || i, 200 + i % 100, s, 'user', 'an old question about tariffs'
     FROM generate_series(1, $1) AS i, generate_series(1, $2) AS s`,
    [PURGE_CONVERSATIONS, PURGE_MESSAGES_EACH],
  );
  await db.query(
    `INSERT INTO idempotency_keys (user_id, key, request_fingerprint, status_code, response_body, created_at)
     SELECT 300 + i % 100, 'expired-' || i, repeat('0', 64), 201, '{"id":"conv_x"}', now() - interval '2 days'
     FROM generate_series(1, $1) AS i`,
    [EXPIRED_KEYS],
  );
  // A live record (an append an hour ago) naming each purged conversation: deleted with it.
  await db.query(
    `INSERT INTO idempotency_keys (user_id, key, request_fingerprint, status_code, response_body, created_at)
     SELECT 200 + i % 100, 'append-' || i, repeat('0', 64), 201,
            jsonb_build_object('conversation_id', 'conv_purge_' || i), now() - interval '1 hour'
     FROM generate_series(1, $1) AS i`,
    [PURGE_CONVERSATIONS],
  );
  await db.query('VACUUM ANALYZE');
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: 'benchmark-secret-benchmark-secret-benchmark',
    POSTGRES_HOST: BENCH_SERVER.host,
    POSTGRES_PORT: String(BENCH_SERVER.port),
    POSTGRES_USER: BENCH_SERVER.user,
    POSTGRES_PASSWORD: BENCH_SERVER.password,
    POSTGRES_DB: DATABASE,
  };
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'db-purge.js')], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`db:purge exited ${run.status}: ${run.stderr}`);
  const line = run.stdout.trim();
  const rows = PURGE_CONVERSATIONS * (2 + PURGE_MESSAGES_EACH) + EXPIRED_KEYS;
  const inside = /in ([\d.]+) s/.exec(line);
  const jobSeconds = inside ? Number(inside[1]) : wallSeconds;
  console.log(`\npurge (npm run db:purge, compiled): ${line}`);
  console.log(
    `purge throughput: ${rows.toLocaleString('en-US')} rows (${PURGE_CONVERSATIONS.toLocaleString('en-US')} conversations, ${(PURGE_CONVERSATIONS * PURGE_MESSAGES_EACH).toLocaleString('en-US')} messages, ${PURGE_CONVERSATIONS.toLocaleString('en-US')} idempotency records of theirs, ${EXPIRED_KEYS.toLocaleString('en-US')} expired ones) in ${jobSeconds.toFixed(2)} s of job: ${Math.round(rows / jobSeconds).toLocaleString('en-US')} rows/s (the command, boot included: ${wallSeconds.toFixed(2)} s)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
