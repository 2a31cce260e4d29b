import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { ADD_ANSWERS_SQL } from '../../src/agent-stats/agent-stats.repository';
import { rollupDeltas, type RollupDelta } from '../../src/agent-stats/answer-rollup';
import { LATENCY_ERROR_BOUND, mergeHistogram } from '../../src/agent-stats/latency-histogram';
import { utcDay } from '../../src/agent-stats/stats-window';
import { Message } from '../../src/conversations/messages/message.entity';
import { answersOf } from '../../src/conversations/messages/new-messages';
import { searchTerms } from '../../src/conversations/messages/search-terms';
import { benchToken, startBenchApp, type BenchApp } from '../support/bench-app';
import { BENCH_SERVER } from '../support/bench-database';
import { runLoad } from '../support/load';
import { runPgLoad } from '../support/pg-load';
import { percentile, SeededRandom } from '../support/random';
import { buildVocabulary, MessageWriter } from '../search/corpus';
import { generateSearchData } from '../search/generate';

const DATABASE = process.env.BENCH_AGENTS_DB ?? 'chatbot_bench_agents';
const AGENTS = ['regulation_agent', 'consultation_agent', 'conversation_agent'];
const DAY_MS = 86_400_000;
const READ_BATCH = 20_000;
/** One assistant message in this many gets the owner's rating, four in five of them up. */
const RATED_EVERY = 20;
/** The largest relative error of a percentile seen in the run, against the exact value. */
let worstPercentileError = 0;

/**
 * Agents benchmark: loads the search data set (1M messages, same generator and seed) with usage
 * on its assistant messages into a database of its own, builds the agents' rollup from the
 * stored rows with the service's own functions (as the appends would have), then measures
 * `GET /api/v1/agents/stats` through the production build against the same figures computed
 * from the messages, and what the rollup adds to an append: through the API (an answer naming
 * an agent with usage, against the same answer naming none, which writes no rollup row) and
 * straight through pg (the append transaction without the rollup statement, with it spread over
 * the shards, and with every user on one shard: the hot row the shards avoid).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '1000000' },
      reuse: { type: 'boolean', default: false },
      reads: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
    },
  });
  const seconds = Number(values.seconds);
  const log = (line: string): void => console.error(`[bench:agents] ${line}`);
  const pool = new Pool({ ...BENCH_SERVER, database: DATABASE, max: 60 });
  let loadSeconds = NaN;
  if (values.reuse) {
    await forgetAppends(pool);
  } else {
    const started = performance.now();
    await generateSearchData(Number(values.messages), log, { database: DATABASE, usage: true });
    await buildRollup(pool, log);
    loadSeconds = (performance.now() - started) / 1000;
  }
  const facts = await describe(pool);
  log(`data: ${JSON.stringify(facts)}`);
  const windows = [7, 30, 92].map((days) => ({
    days,
    from: utcDay(new Date(Date.parse(facts.lastDay) - (days - 1) * DAY_MS)),
    to: facts.lastDay,
  }));

  const app = await startBenchApp(DATABASE);
  let reads: ReadFigures[];
  let apiAppends: { rollup: number; none: number };
  try {
    reads = await measureReads(app, pool, windows, Number(values.reads));
    apiAppends = await measureApiAppends(app, pool, seconds);
  } finally {
    await app.stop();
  }
  const pgAppends = await measurePgAppends(pool, seconds);
  await forgetAppends(pool);
  await pool.end();

  console.log(
    `\nAgents benchmark, ${new Date().toISOString()}: ${facts.messages.toLocaleString('en-US')} messages (${facts.assistant.toLocaleString('en-US')} assistant), ${facts.conversations.toLocaleString('en-US')} conversations, ${facts.days} days up to ${facts.lastDay}; rollup ${facts.statsRows.toLocaleString('en-US')} day rows (${facts.shards} shards), ${facts.conversationRows.toLocaleString('en-US')} conversation-day rows; ${Number.isNaN(loadSeconds) ? 'data set reused' : `load ${loadSeconds.toFixed(0)} s`}\n`,
  );
  console.log(
    '| window | messages in window | GET /api/v1/agents/stats p50 / p95 ms | same figures from messages (pg) p50 ms | ratio |',
  );
  console.log('|---|---|---|---|---|');
  for (const row of reads) {
    console.log(
      `| ${row.days} days | ${row.messagesInWindow.toLocaleString('en-US')} | ${row.p50.toFixed(1)} / ${row.p95.toFixed(1)} | ${row.baselineP50.toFixed(1)} | ${(row.baselineP50 / row.p50).toFixed(1)}x faster |`,
    );
  }
  console.log(
    `\nevery figure equals the one computed from the messages; percentiles at most ${(100 * worstPercentileError).toFixed(2)}% off the exact nearest-rank value (bound ${(100 * LATENCY_ERROR_BOUND).toFixed(1)}%)`,
  );
  console.log(
    `\nappend through the API (50 connections, ${seconds} s each, alternated twice): an answer naming an agent with usage (rollup written) ${apiAppends.rollup.toFixed(0)} req/s, the same answer naming none (no rollup row) ${apiAppends.none.toFixed(0)} req/s: ${((100 * apiAppends.rollup) / apiAppends.none).toFixed(0)}%`,
  );
  console.log(
    `append transaction through pg (50 loops, ${seconds} s each): without the rollup statement ${pgAppends.none.toFixed(0)} tx/s, with it over ${facts.shards} shards ${pgAppends.sharded.toFixed(0)} tx/s (${((100 * pgAppends.sharded) / pgAppends.none).toFixed(0)}%), with every user on one shard ${pgAppends.oneShard.toFixed(0)} tx/s (${((100 * pgAppends.oneShard) / pgAppends.none).toFixed(0)}%)`,
  );
}

/**
 * The rollup the appends would have written, from the stored assistant messages: sums and
 * histograms through `rollupDeltas` (the service's function), the conversation-days as the
 * migration's backfill computes them, and every RATED_EVERY-th answer rated by its owner.
 */
async function buildRollup(pool: Pool, log: (line: string) => void): Promise<void> {
  const rows = new Map<string, RollupDelta & { feedback_up: number; feedback_down: number }>();
  const feedback: Array<Record<string, unknown>> = [];
  let afterId = '';
  let seen = 0;
  for (;;) {
    const { rows: batch } = await pool.query(
      `SELECT id, user_id, conversation_id, agent_used, timestamp, usage FROM messages
       WHERE role = 'assistant' AND id > $1 ORDER BY id LIMIT ${READ_BATCH}`,
      [afterId],
    );
    if (batch.length === 0) break;
    for (const message of batch) {
      const stored = Object.assign(new Message(), {
        role: 'assistant',
        agentUsed: message.agent_used,
        userId: message.user_id,
        timestamp: message.timestamp,
        usage: message.usage,
      });
      const [delta] = rollupDeltas(answersOf([stored]));
      const key = `${delta.day}|${delta.agent}|${delta.shard}`;
      const row = rows.get(key);
      if (row) {
        row.messages += delta.messages;
        row.prompt_tokens += delta.prompt_tokens;
        row.completion_tokens += delta.completion_tokens;
        mergeHistogram(row.latency, delta.latency);
      } else {
        rows.set(key, { ...delta, feedback_up: 0, feedback_down: 0 });
      }
      const counted = rows.get(key)!;
      if (seen % RATED_EVERY === 0) {
        const rating = seen % (RATED_EVERY * 5) === 0 ? 'down' : 'up';
        counted[rating === 'up' ? 'feedback_up' : 'feedback_down'] += 1;
        feedback.push({
          message_id: message.id,
          user_id: message.user_id,
          conversation_id: message.conversation_id,
          rating,
        });
      }
      seen += 1;
    }
    afterId = batch[batch.length - 1].id;
  }
  log(`rollup: ${rows.size} day rows from ${seen} answers, ${feedback.length} rated`);
  const all = [...rows.values()];
  for (let i = 0; i < all.length; i += 2000) {
    await pool.query(
      `INSERT INTO agent_daily_stats (day, agent, shard, messages, prompt_tokens, completion_tokens, feedback_up, feedback_down, latency)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(day date, agent varchar, shard smallint, messages int, prompt_tokens bigint, completion_tokens bigint, feedback_up int, feedback_down int, latency jsonb)`,
      [JSON.stringify(all.slice(i, i + 2000))],
    );
  }
  for (let i = 0; i < feedback.length; i += 5000) {
    await pool.query(
      `INSERT INTO message_feedback (message_id, user_id, conversation_id, rating)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(message_id varchar, user_id int, conversation_id varchar, rating varchar)`,
      [JSON.stringify(feedback.slice(i, i + 5000))],
    );
  }
  await pool.query(
    `INSERT INTO agent_daily_conversations (day, agent, conversation_id)
     SELECT DISTINCT ("timestamp" AT TIME ZONE 'UTC')::date, agent_used, conversation_id FROM messages
     WHERE role = 'assistant' AND agent_used IS NOT NULL`,
  );
  await pool.query('VACUUM (ANALYZE)');
}

/**
 * Removes what the append measurements wrote (dated today, after the data set; ids other than
 * the generator's `msg_` and 12 hex digits), so that `--reuse` starts from the data set as loaded.
 */
async function forgetAppends(pool: Pool): Promise<void> {
  await pool.query(`DELETE FROM messages WHERE length(id) <> 16`);
  await pool.query(
    `DELETE FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)`,
  );
  await pool.query(
    `DELETE FROM agent_daily_stats WHERE day > (SELECT (max(timestamp) AT TIME ZONE 'UTC')::date FROM messages)`,
  );
  await pool.query('VACUUM (ANALYZE)');
}

async function describe(pool: Pool): Promise<{
  messages: number;
  assistant: number;
  conversations: number;
  days: number;
  lastDay: string;
  statsRows: number;
  conversationRows: number;
  shards: number;
}> {
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM messages)::int AS messages,
            (SELECT count(*) FROM messages WHERE role = 'assistant')::int AS assistant,
            (SELECT count(*) FROM conversations)::int AS conversations,
            (SELECT count(DISTINCT day) FROM agent_daily_stats)::int AS days,
            (SELECT to_char(max(day), 'YYYY-MM-DD') FROM agent_daily_stats) AS "lastDay",
            (SELECT count(*) FROM agent_daily_stats)::int AS "statsRows",
            (SELECT count(*) FROM agent_daily_conversations)::int AS "conversationRows",
            (SELECT count(DISTINCT shard) FROM agent_daily_stats)::int AS shards`,
  );
  return rows[0];
}

interface ReadFigures {
  days: number;
  messagesInWindow: number;
  p50: number;
  p95: number;
  baselineP50: number;
}

/**
 * Sequential reads of the route (a dashboard's refresh), after a warm-up; the baseline computes
 * the same figures from messages and feedback (exact percentiles) straight through pg.
 */
async function measureReads(
  app: BenchApp,
  pool: Pool,
  windows: Array<{ days: number; from: string; to: string }>,
  reads: number,
): Promise<ReadFigures[]> {
  const headers = { Authorization: `Bearer ${await benchToken('grafana', 'stats:read')}` };
  const figures: ReadFigures[] = [];
  for (const window of windows) {
    const url = `${app.url}/api/v1/agents/stats?from=${window.from}&to=${window.to}`;
    const timings: number[] = [];
    let answer: Array<Record<string, number | string>> = [];
    for (let i = 0; i < reads + 20; i += 1) {
      const started = performance.now();
      const response = await fetch(url, { headers });
      const body = (await response.json()) as { agents: typeof answer };
      if (response.status !== 200 || body.agents.length !== AGENTS.length) {
        throw new Error(`agents stats answered ${response.status}: ${JSON.stringify(body)}`);
      }
      if (i >= 20) timings.push(performance.now() - started);
      answer = body.agents;
    }
    const baseline: number[] = [];
    let messagesInWindow = 0;
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      const { rows } = await pool.query(
        `SELECT m.agent_used AS agent, count(*)::int AS messages,
                count(DISTINCT m.conversation_id)::int AS conversations,
                count(*) FILTER (WHERE f.rating = 'up')::int AS feedback_up,
                count(*) FILTER (WHERE f.rating = 'down')::int AS feedback_down,
                sum((m.usage ->> 'prompt_tokens')::bigint) AS prompt_tokens,
                sum((m.usage ->> 'completion_tokens')::bigint) AS completion_tokens,
                percentile_disc(0.5) WITHIN GROUP (ORDER BY (m.usage ->> 'latency_ms')::int) AS p50,
                percentile_disc(0.95) WITHIN GROUP (ORDER BY (m.usage ->> 'latency_ms')::int) AS p95
         FROM messages m LEFT JOIN message_feedback f ON f.message_id = m.id
         WHERE m.role = 'assistant' AND m.agent_used IS NOT NULL
           AND m.timestamp >= $1::date AND m.timestamp < $2::date + 1
         GROUP BY m.agent_used`,
        [window.from, window.to],
      );
      baseline.push(performance.now() - started);
      messagesInWindow = rows.reduce((sum, row) => sum + row.messages, 0);
      if (i === 0) assertAgrees(window.days, answer, rows);
    }
    figures.push({
      days: window.days,
      messagesInWindow,
      p50: percentile(timings, 50),
      p95: percentile(timings, 95),
      baselineP50: percentile(baseline, 50),
    });
  }
  return figures;
}

/** The route's figures against the exact ones from the messages: equal sums, close percentiles. */
function assertAgrees(
  days: number,
  answer: Array<Record<string, number | string>>,
  exact: Array<Record<string, number | string>>,
): void {
  for (const truth of exact) {
    const row = answer.find((candidate) => candidate.agent === truth.agent);
    for (const field of ['messages', 'conversations', 'feedback_up', 'feedback_down']) {
      if (row?.[field] !== truth[field])
        throw new Error(`${days} days ${truth.agent} ${field}: ${row?.[field]} != ${truth[field]}`);
    }
    for (const field of ['prompt_tokens', 'completion_tokens']) {
      if (row?.[field] !== Number(truth[field]))
        throw new Error(`${days} days ${truth.agent} ${field}: ${row?.[field]} != ${truth[field]}`);
    }
    for (const [field, p] of [
      ['latency_ms_p50', 'p50'],
      ['latency_ms_p95', 'p95'],
    ]) {
      const error = Math.abs(Number(row?.[field]) - Number(truth[p])) / Number(truth[p]);
      if (!(error <= LATENCY_ERROR_BOUND))
        throw new Error(
          `${days} days ${truth.agent} ${field}: ${row?.[field]} vs exact ${truth[p]}`,
        );
      worstPercentileError = Math.max(worstPercentileError, error);
    }
  }
}

/**
 * Appends through the API, the AI gateway's way (act-as, user_id in the query), to 200
 * conversations of 200 users (so that appends rarely queue on one conversation's row lock and
 * spread over the shards), alternating the two bodies twice.
 */
async function measureApiAppends(
  app: BenchApp,
  pool: Pool,
  seconds: number,
): Promise<{ rollup: number; none: number }> {
  const token = await benchToken('ai-gateway', 'conversations:act-as messages:write:assistant');
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const targets: Array<{ id: string; user: number }> = [];
  for (let user = 2001; user < 2201; user += 1) {
    const response = await fetch(`${app.url}/api/v1/conversations?user_id=${user}`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    targets.push({ id: ((await response.json()) as { id: string }).id, user });
  }
  const run = async (withRollup: boolean): Promise<number> => {
    const random = new SeededRandom(7);
    const writer = new MessageWriter(buildVocabulary(random), random);
    const result = await runLoad({
      url: app.url,
      method: 'POST',
      seconds,
      headers,
      path: () => {
        const target = random.pick(targets);
        return `/api/v1/conversations/${target.id}/messages?user_id=${target.user}`;
      },
      body: () =>
        JSON.stringify(
          withRollup
            ? {
                role: 'assistant',
                content: writer.write(),
                agent_used: random.pick(AGENTS),
                usage: {
                  model: 'gpt-4o',
                  prompt_tokens: 200 + random.int(2800),
                  completion_tokens: 50 + random.int(750),
                  latency_ms: 500 + random.int(8000),
                },
              }
            : { role: 'assistant', content: writer.write() },
        ),
    });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`append run had ${result.non2xx} non-2xx and ${result.errors} errors`);
    return result.requestsPerSecond;
  };
  const rollup: number[] = [];
  const none: number[] = [];
  for (let round = 0; round < 2; round += 1) {
    none.push(await run(false));
    rollup.push(await run(true));
  }
  await pool.query('VACUUM (ANALYZE) agent_daily_stats');
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  return { rollup: mean(rollup), none: mean(none) };
}

/**
 * The append transaction as the service issues it (claim the seq, insert the message, then the
 * rollup statement), straight through pg, 50 loops over 500 conversations of 500 users.
 */
async function measurePgAppends(
  pool: Pool,
  seconds: number,
): Promise<{ none: number; sharded: number; oneShard: number }> {
  await pool.query(
    `INSERT INTO conversations (id, user_id, title)
     SELECT 'conv_pg_' || u, u, 'bench' FROM generate_series(3001, 3500) u`,
  );
  const targets = Array.from({ length: 500 }, (_, i) => ({
    id: `conv_pg_${3001 + i}`,
    user: 3001 + i,
  }));
  const content = '관세율 조회 결과입니다. HS 8471.30 의 기본세율은 0% 입니다.';
  const terms = searchTerms(content);
  const run = async (rollup: 'none' | 'sharded' | 'one'): Promise<number> => {
    const random = new SeededRandom(11);
    const result = await runPgLoad(
      pool,
      async (p) => {
        const target = random.pick(targets);
        const agent = random.pick(AGENTS);
        const client = await p.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query(
            `UPDATE conversations SET message_count = COALESCE(message_count, 0) + 1, updated_at = now(),
               last_agent_used = COALESCE($3, last_agent_used)
             WHERE id = $1 AND user_id = $2 AND is_active = true RETURNING message_count, updated_at`,
            [target.id, target.user, agent],
          );
          const usage = {
            model: 'gpt-4o',
            prompt_tokens: 900,
            completion_tokens: 300,
            latency_ms: 500 + random.int(8000),
          };
          await client.query(
            `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, agent_used, usage, timestamp, search_terms)
             VALUES ($1, $2, $3, $4, 'assistant', $5, $6, $7, $8, $9)`,
            [
              `msg_pg_${process.hrtime.bigint()}_${random.int(1e9)}`,
              target.id,
              target.user,
              rows[0].message_count,
              content,
              agent,
              usage,
              rows[0].updated_at,
              terms,
            ],
          );
          if (rollup !== 'none') {
            const deltas = rollupDeltas([
              {
                agent,
                userId: rollup === 'one' ? 0 : target.user,
                timestamp: rows[0].updated_at,
                promptTokens: usage.prompt_tokens,
                completionTokens: usage.completion_tokens,
                latencyMs: usage.latency_ms,
              },
            ]);
            await client.query(ADD_ANSWERS_SQL, [JSON.stringify(deltas), target.id]);
          }
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
      { seconds },
    );
    if (result.errors > 0) throw new Error(`pg append run (${rollup}) had ${result.errors} errors`);
    return result.requestsPerSecond;
  };
  const none = await run('none');
  const sharded = await run('sharded');
  const oneShard = await run('one');
  return { none, sharded, oneShard };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
