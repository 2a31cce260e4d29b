import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { SIBLING_PLACES } from '../../src/conversations/messages/message-statements';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { MIGRATIONS } from '../../src/database/migrations';
import { benchToken, startBenchApp } from '../support/bench-app';
import { BENCH_SERVER, benchConfig, recreateDatabase } from '../support/bench-database';
import { percentile, SeededRandom } from '../support/random';

const DATABASE = process.env.BENCH_BRANCHES_DB ?? 'chatbot_bench_branches';
const REDIS = {
  REDIS_HOST: process.env.BENCH_REDIS_HOST ?? '127.0.0.1',
  REDIS_PORT: process.env.BENCH_REDIS_PORT ?? '6379',
};
const USER = 7;
const CONNECTIONS = 10;
const ROUNDS = 3;
const PAGE = 50;
const CONTENT =
  '관세율 조회 방법을 알려주세요. The customs tariff for HS 8471.30 is 0% under the FTA.';
// The newest page of the active branch, as a client reads it (uncached: not the first page).
const NEWEST_PAGE = `?limit=${PAGE}&before_seq=2147483647`;

interface Shape {
  messages: number;
  branches: number;
}

interface TreeRow {
  id: string;
  parentId: string | null;
  seq: number;
  depth: number;
  active: boolean;
}

interface Measured {
  requestsPerSecond: number;
  p50: number;
  p95: number;
  errors: number;
}

/**
 * The newest page of the active branch at 100, 10,000 and 100,000 messages, with 1, 10 and 100
 * branches interleaved in seq, against the production build (one process, real PostgreSQL and
 * Redis), 10 connections, after a warm-up, in
 * rounds through every shape; each compared with the linear conversation (1 branch)
 * of the same size in the same run, and with the buffers its statements touch. The linear
 * conversations are loaded before the MessageTree migration, which links them: its time is
 * printed too.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      smoke: { type: 'boolean', default: false },
    },
  });
  const seconds = values.smoke ? 0.5 : Number(values.seconds);
  const sizes = values.smoke ? [100, 1000] : [100, 10_000, 100_000];
  const log = (line: string): void => console.error(`[bench] ${line}`);

  await recreateDatabase(DATABASE);
  const options = buildDataSourceOptions(benchConfig(DATABASE).postgres);
  // The schema as it was before the tree: rows are written there, then the tree's migration runs.
  const tree = MIGRATIONS.findIndex(({ name }) => name === 'MessageTree1796120293735');
  const before = new DataSource({
    ...options,
    migrationsRun: false,
    migrations: MIGRATIONS.slice(0, tree),
  });
  await before.initialize();
  await before.runMigrations();
  await before.destroy();
  const pool = new Pool({ ...BENCH_SERVER, database: DATABASE, max: 4 });

  const shapes: Shape[] = sizes.flatMap((messages) =>
    [1, 10, 100]
      // 100 branches cannot share 100 messages and leave a page of 50 on the active one.
      .filter((branches) => branches === 1 || messages >= branches * 10)
      .map((branches) => ({ messages, branches })),
  );
  const ids = new Map<string, { id: string; head: TreeRow; activeLength: number }>();
  const key = (shape: Shape): string => `${shape.messages}/${shape.branches}`;

  log('loading the linear conversations, written before the tree');
  const random = new SeededRandom(20261219);
  for (const shape of shapes.filter((s) => s.branches === 1)) {
    const id = `conv_linear_${shape.messages}`;
    const rows = grow(id, shape, random);
    await insertConversation(pool, id, rows, false);
    ids.set(key(shape), { id, head: rows[rows.length - 1], activeLength: rows.length });
  }
  const linearMessages = shapes
    .filter((s) => s.branches === 1)
    .reduce((sum, s) => sum + s.messages, 0);
  log('running the MessageTree migration on them');
  const migrationStarted = performance.now();
  const withTree = new DataSource({
    ...options,
    migrationsRun: false,
    migrations: MIGRATIONS.slice(0, tree + 1),
  });
  await withTree.initialize();
  const applied = await withTree.runMigrations();
  await withTree.destroy();
  const migrationSeconds = (performance.now() - migrationStarted) / 1000;
  if (applied.map((m) => m.name).join() !== 'MessageTree1796120293735')
    throw new Error(`unexpected migrations: ${applied.map((m) => m.name).join()}`);
  // Then the schema of today, for the service.
  const today = new DataSource({ ...options, migrationsRun: false });
  await today.initialize();
  await today.runMigrations();
  await today.destroy();

  log('loading the branched conversations');
  for (const shape of shapes.filter((s) => s.branches > 1)) {
    const id = `conv_branched_${shape.messages}_${shape.branches}`;
    const rows = grow(id, shape, random);
    await insertConversation(pool, id, rows, true);
    const active = rows.filter((row) => row.active);
    ids.set(key(shape), { id, head: active[active.length - 1], activeLength: active.length });
  }
  await pool.query('VACUUM (ANALYZE)');

  const app = await startBenchApp(DATABASE, REDIS);
  const auth = { Authorization: `Bearer ${await benchToken(USER)}` };
  const results = new Map<string, { measured: Measured; buffers: number }>();
  try {
    const latencies = new Map<string, number[]>();
    const errors = new Map<string, number>();
    for (const shape of shapes) {
      const { id, head, activeLength } = ids.get(key(shape))!;
      const url = pageUrl(app.url, id);
      await checkPage(url, auth, head, activeLength);
      await closedLoop(url, auth, Math.min(1, seconds));
      latencies.set(key(shape), []);
      errors.set(key(shape), 0);
    }
    // Rounds through every shape, so that the shared machine's load falls on each alike.
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const shape of shapes) {
        const run = await closedLoop(pageUrl(app.url, ids.get(key(shape))!.id), auth, seconds);
        latencies.get(key(shape))!.push(...run.latencies);
        errors.set(key(shape), errors.get(key(shape))! + run.errors);
      }
      log(`round ${round} of ${ROUNDS} done`);
    }
    for (const shape of shapes) {
      const all = latencies.get(key(shape))!;
      results.set(key(shape), {
        measured: {
          requestsPerSecond: all.length / (seconds * ROUNDS),
          p50: percentile(all, 50),
          p95: percentile(all, 95),
          errors: errors.get(key(shape))!,
        },
        buffers: await pageBuffers(pool, ids.get(key(shape))!.id),
      });
    }
  } finally {
    await app.stop();
    await pool.end();
  }

  console.log(
    `\nBranches benchmark, ${new Date().toISOString()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${seconds} s each after a warm-up, PostgreSQL ${BENCH_SERVER.host}:${BENCH_SERVER.port}\n`,
  );
  console.log(
    `MessageTree migration on ${linearMessages.toLocaleString()} messages in ${sizes.length} conversations: ${migrationSeconds.toFixed(1)} s (${(linearMessages / migrationSeconds).toFixed(0)} messages/s, backfill and both indexes)\n`,
  );
  console.log(
    '| messages | branches | on the active branch | req/s | p50 / p95 ms | vs linear, same size | buffers (page + siblings) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const shape of shapes) {
    const { measured, buffers } = results.get(key(shape))!;
    const linear = results.get(key({ messages: shape.messages, branches: 1 }))!.measured;
    const errors = measured.errors > 0 ? ` (${measured.errors} errors)` : '';
    console.log(
      `| ${shape.messages.toLocaleString()} | ${shape.branches} | ${ids.get(key(shape))!.activeLength.toLocaleString()} | ${measured.requestsPerSecond.toFixed(0)}${errors} | ${measured.p50.toFixed(1)} / ${measured.p95.toFixed(1)} | ${((100 * measured.requestsPerSecond) / linear.requestsPerSecond).toFixed(0)}% | ${buffers} |`,
    );
  }
}

/**
 * A conversation of `messages` messages and `branches` leaves: a main line (the active branch,
 * about half the messages when it branches) and side branches forking from it, more of them near
 * its newest end (regenerations and edits of recent turns), their messages interleaved with the
 * main line's in seq order, the last seqs mostly theirs (as after switching back).
 */
function grow(conversationId: string, shape: Shape, random: SeededRandom): TreeRow[] {
  const sides = shape.branches - 1;
  const sideLength = sides === 0 ? 0 : Math.floor(shape.messages / 2 / sides);
  const mainLength = shape.messages - sides * sideLength;
  const forkDepth = Array.from(
    { length: sides },
    (_, k) => 1 + Math.floor((mainLength - 1) * Math.sqrt((k + 1) / (sides + 1))),
  );
  const main: TreeRow[] = [];
  const branches: TreeRow[][] = Array.from({ length: sides }, () => []);
  const rows: TreeRow[] = [];
  const add = (parent: TreeRow | null, active: boolean): TreeRow => {
    const row: TreeRow = {
      id: `${conversationId}_${rows.length + 1}`,
      parentId: parent?.id ?? null,
      seq: rows.length + 1,
      depth: (parent?.depth ?? 0) + 1,
      active,
    };
    rows.push(row);
    return row;
  };
  while (rows.length < shape.messages) {
    const open = branches
      .map((branch, k) => ({ branch, k }))
      .filter(({ branch, k }) => branch.length < sideLength && main.length >= forkDepth[k]);
    const takeMain = main.length < mainLength && (open.length === 0 || random.next() < 0.5);
    if (takeMain) {
      main.push(add(main.at(-1) ?? null, true));
    } else {
      const { branch, k } = random.pick(open);
      branch.push(add(branch.at(-1) ?? main[forkDepth[k] - 1], false));
    }
  }
  return rows;
}

/** The rows in batches; with `linked` false, as a writer that knows no tree wrote them. */
async function insertConversation(
  pool: Pool,
  id: string,
  rows: TreeRow[],
  linked: boolean,
): Promise<void> {
  await pool.query(
    `INSERT INTO conversations (id, user_id, title, message_count) VALUES ($1, $2, $1, $3)`,
    [id, USER, rows.length],
  );
  for (let start = 0; start < rows.length; start += 10_000) {
    const batch = rows.slice(start, start + 10_000);
    const columns = linked ? ', parent_id, depth, on_active_branch' : '';
    const values = linked ? ', u.parent_id, u.depth, u.active' : '';
    await pool.query(
      `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, timestamp${columns})
       SELECT u.id, $1, $2, u.seq, CASE WHEN u.seq % 2 = 1 THEN 'user' ELSE 'assistant' END, $3,
              now() - (($4 - u.seq) * interval '1 second')${values}
       FROM unnest($5::varchar[], $6::int[], $7::varchar[], $8::int[], $9::boolean[])
         AS u(id, seq, parent_id, depth, active)`,
      [
        id,
        USER,
        CONTENT,
        rows.length,
        batch.map((row) => row.id),
        batch.map((row) => row.seq),
        batch.map((row) => row.parentId),
        batch.map((row) => row.depth),
        batch.map((row) => row.active),
      ],
    );
  }
  if (linked) {
    const head = rows.filter((row) => row.active).at(-1)!;
    await pool.query(`UPDATE conversations SET head_message_id = $2 WHERE id = $1`, [id, head.id]);
  }
}

/** The page must be the newest 50 of the active branch, ending at the head, with the branch's length. */
async function checkPage(
  url: string,
  headers: Record<string, string>,
  head: TreeRow,
  activeLength: number,
): Promise<void> {
  const response = await fetch(url, { headers });
  const body = (await response.json()) as {
    messages: Array<{ id: string; parent_id: string | null }>;
    total_count: number;
  };
  const last = body.messages.at(-1);
  const chained = body.messages.every(
    (message, i) => i === 0 || message.parent_id === body.messages[i - 1].id,
  );
  if (
    response.status !== 200 ||
    last?.id !== head.id ||
    body.total_count !== activeLength ||
    body.messages.length !== Math.min(PAGE, activeLength) ||
    !chained
  ) {
    throw new Error(
      `wrong newest page at ${url}: ${response.status} ${JSON.stringify(body).slice(0, 300)}`,
    );
  }
}

const pageUrl = (base: string, conversationId: string): string =>
  `${base}/api/v1/conversations/${conversationId}/messages${NEWEST_PAGE}`;

/** `CONNECTIONS` loops of requests for `seconds`, each latency recorded. */
async function closedLoop(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<{ latencies: number[]; errors: number }> {
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        const response = await fetch(url, { headers });
        await response.arrayBuffer();
        if (response.status === 200) latencies.push(performance.now() - started);
        else errors += 1;
      }
    }),
  );
  return { latencies, errors };
}

/**
 * Shared buffers the service's two statements of the page touch (the window on the active
 * branch's index, then the siblings of its messages): a count no noise moves.
 */
async function pageBuffers(pool: Pool, conversationId: string): Promise<number> {
  const window = `SELECT m.id, m.parent_id, m.seq FROM messages m
    WHERE m.conversation_id = $1 AND m.user_id = $2 AND m.on_active_branch = true
      AND m.seq < 2147483647
    ORDER BY m.seq DESC LIMIT ${PAGE + 1}`;
  const buffersOf = async (sql: string, params: unknown[]): Promise<number> => {
    const { rows } = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    return plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
  };
  const page = (await pool.query(window, [conversationId, USER])).rows.slice(0, PAGE);
  return (
    (await buffersOf(window, [conversationId, USER])) +
    (await buffersOf(SIBLING_PLACES, [
      conversationId,
      USER,
      page.map((row) => row.id),
      page.map((row) => row.parent_id),
      page.map((row) => row.seq),
    ]))
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
