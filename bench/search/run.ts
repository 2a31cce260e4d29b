import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { buildDataSourceOptions, endpointOf } from '../../src/database/data-source-options';
import { SearchService } from '../../src/search/search.service';
import { parseQuery, searchTerms } from '../../src/conversations/messages/search-terms';
import { SearchMessagesDto } from '../../src/search/dto/search-messages.dto';
import { benchConfig } from '../support/bench-database';
import { benchToken, startBenchApp } from '../support/bench-app';
import { runLoad } from '../support/load';
import { percentile, SeededRandom } from '../support/random';
import { buildVocabulary, MessageWriter } from './corpus';
import {
  generateSearchData,
  HEAVY_USER,
  SEARCH_BENCH_DATABASE,
  type SearchDataSet,
} from './generate';
import { buildQueries, type BenchQuery, type QueryClass } from './queries';

const REPEATS = 3;

/**
 * Search benchmark: loads the data set (unless --reuse), then per query class and user measures
 * p50/p95 of a whole search (capped count, page, titles, snippets), recall against an ILIKE ground
 * truth, and append throughput through the API with and without the search index.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '1000000' },
      reuse: { type: 'boolean', default: false },
      'append-seconds': { type: 'string', default: '10' },
    },
  });
  const log = (line: string): void => console.error(`[bench:search] ${line}`);
  const data: SearchDataSet = values.reuse
    ? await describeExisting()
    : await generateSearchData(Number(values.messages), log);
  log(`data: ${JSON.stringify(data)}`);

  // The service as the app wires it (its module, transactions and planner settings), without HTTP.
  const config = benchConfig(SEARCH_BENCH_DATABASE);
  const context = await NestFactory.createApplicationContext(
    AppModule.forRoot(config, endpointOf(config.postgres)),
    { logger: false },
  );
  const dataSource = context.get(DataSource);
  await dataSource.query('SET max_parallel_workers_per_gather = 0');
  const service = context.get(SearchService);
  const queries = buildQueries(buildVocabulary(new SeededRandom(20261127)));
  const users = [
    { label: 'heavy', id: HEAVY_USER },
    { label: 'typical', id: data.typicalUser },
  ];

  const latency = new Map<string, number[]>();
  let recallChecked = 0;
  let recallExact = 0;
  const misses: string[] = [];
  for (const user of users) {
    for (const query of queries) {
      const input = Object.assign(new SearchMessagesDto(), {
        query: query.text,
        sort: 'recent',
        limit: 20,
        offset: 0,
      });
      await service.searchMessages(user.id, input);
      for (let i = 0; i < REPEATS; i += 1) {
        const started = performance.now();
        const relevance = await service.searchMessages(
          user.id,
          Object.assign(new SearchMessagesDto(), { query: query.text }),
        );
        const key = `${user.label}|${query.class}|${query.frequency}`;
        latency.set(key, [...(latency.get(key) ?? []), performance.now() - started]);
        void relevance;
      }
      const ours = await service.searchMessages(user.id, input);
      const truth = await groundTruth(dataSource, user.id, query);
      recallChecked += 1;
      const sameCount =
        ours.total_count === Math.min(truth.count, 1000) &&
        ours.total_count_exact === truth.count <= 1000;
      const samePage =
        JSON.stringify(ours.messages.map((hit) => hit.id)) === JSON.stringify(truth.newest);
      if (sameCount && samePage) recallExact += 1;
      else
        misses.push(
          `${user.label} "${query.text}": ours ${ours.total_count} vs truth ${truth.count}`,
        );
    }
  }
  await context.close();

  console.log(
    `\nSearch benchmark, ${new Date().toISOString()}: ${data.messages.toLocaleString()} messages, ${data.conversations.toLocaleString()} conversations, heavy user ${HEAVY_USER}, typical user ${data.typicalUser} (${data.typicalUserMessages} messages)`,
  );
  console.log(
    `index idx_messages_content_search: build ${data.indexBuildSeconds.toFixed(1)} s, ${(data.indexBytes / 2 ** 20).toFixed(0)} MiB (messages table with indexes ${(data.tableBytes / 2 ** 20).toFixed(0)} MiB); load ${data.loadSeconds.toFixed(0)} s`,
  );
  console.log('\n| class | terms | heavy p50 / p95 ms | typical p50 / p95 ms |\n|---|---|---|---|');
  const classes: QueryClass[] = [
    '1 syllable',
    '2 syllables',
    '3+ syllables',
    'English word',
    'two words',
  ];
  for (const klass of classes) {
    for (const frequency of ['common', 'rare'] as const) {
      const cell = (label: string): string => {
        const values = latency.get(`${label}|${klass}|${frequency}`) ?? [];
        return `${percentile(values, 50).toFixed(1)} / ${percentile(values, 95).toFixed(1)}`;
      };
      console.log(`| ${klass} | ${frequency} | ${cell('heavy')} | ${cell('typical')} |`);
    }
  }
  console.log(
    `\nrecall and precision against ILIKE ground truth: ${recallExact}/${recallChecked} queries with the same capped count and the same newest page`,
  );
  for (const miss of misses.slice(0, 10)) console.log(`  differs: ${miss}`);

  const termMicros = measureTermCost();
  console.log(`\nterms computed in the application: ${termMicros.toFixed(1)} us per message`);
  const appends = await appendThroughput(Number(values['append-seconds']));
  console.log(
    `append through the API (50 connections, ${values['append-seconds']} s each): with the search index ${appends.with.toFixed(0)} req/s, without ${appends.without.toFixed(0)} req/s: ${((100 * appends.with) / appends.without).toFixed(0)}%`,
  );
}

/** The truth by brute force: every word by ILIKE (English as whole words by regex) over the user's active conversations. */
async function groundTruth(
  dataSource: DataSource,
  userId: number,
  query: BenchQuery,
): Promise<{ count: number; newest: string[] }> {
  const words = parseQuery(query.text);
  const params: unknown[] = [userId];
  const clauses = words.map((word) => {
    if (word.wholeWord) {
      params.push(`(^|[^a-z0-9])${word.text}($|[^a-z0-9])`);
      return `lower(m.content) ~ $${params.length}`;
    }
    params.push(`%${word.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    return `m.content ILIKE $${params.length}`;
  });
  const where = `m.user_id = $1 AND ${clauses.join(' AND ')} AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id AND c.is_active)`;
  const [{ count }] = await dataSource.query(
    `SELECT count(*)::int AS count FROM messages m WHERE ${where}`,
    params,
  );
  const newest: Array<{ id: string }> = await dataSource.query(
    `SELECT m.id FROM messages m WHERE ${where} ORDER BY m.timestamp DESC, m.seq DESC, m.id DESC LIMIT 20`,
    params,
  );
  return { count, newest: newest.map((row) => row.id) };
}

function measureTermCost(): number {
  const random = new SeededRandom(1);
  const writer = new MessageWriter(buildVocabulary(random), random);
  const texts = Array.from({ length: 20_000 }, () => writer.write());
  const started = performance.now();
  for (const text of texts) searchTerms(text);
  return ((performance.now() - started) * 1000) / texts.length;
}

/** Appends through the API to the typical users' conversations, with the index and after dropping it. */
async function appendThroughput(seconds: number): Promise<{ with: number; without: number }> {
  const measure = async (): Promise<number> => {
    const app = await startBenchApp(SEARCH_BENCH_DATABASE);
    try {
      const token = await benchToken(2);
      const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
      // Many conversations: appends to one conversation queue on its row lock by design.
      const conversations: string[] = [];
      for (let i = 0; i < 100; i += 1) {
        const create = await fetch(`${app.url}/api/v1/conversations`, {
          method: 'POST',
          headers,
          body: '{}',
        });
        conversations.push(((await create.json()) as { id: string }).id);
      }
      const random = new SeededRandom(3);
      const writer = new MessageWriter(buildVocabulary(random), random);
      const result = await runLoad({
        url: app.url,
        method: 'POST',
        seconds,
        headers,
        path: () => `/api/v1/conversations/${random.pick(conversations)}/messages`,
        body: () => JSON.stringify({ role: 'user', content: writer.write() }),
      });
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`append run had ${result.non2xx} non-2xx and ${result.errors} errors`);
      return result.requestsPerSecond;
    } finally {
      await app.stop();
    }
  };
  const withIndex = await measure();
  const dataSource = new DataSource({
    ...buildDataSourceOptions(benchConfig(SEARCH_BENCH_DATABASE).postgres),
    migrationsRun: false,
  });
  await dataSource.initialize();
  await dataSource.query('DROP INDEX idx_messages_content_search');
  const withoutIndex = await measure();
  await dataSource.query(
    'CREATE INDEX idx_messages_content_search ON messages USING gin (user_id, search_terms)',
  );
  await dataSource.destroy();
  return { with: withIndex, without: withoutIndex };
}

async function describeExisting(): Promise<SearchDataSet> {
  const dataSource = new DataSource({
    ...buildDataSourceOptions(benchConfig(SEARCH_BENCH_DATABASE).postgres),
    migrationsRun: false,
  });
  await dataSource.initialize();
  const [row] = await dataSource.query(
    `SELECT (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM conversations)::int AS conversations,
            pg_relation_size('idx_messages_content_search') AS index_bytes, pg_total_relation_size('messages') AS table_bytes`,
  );
  const [typical] = await dataSource.query(
    `SELECT user_id, count(*)::int AS n FROM messages WHERE user_id <> $1 GROUP BY user_id ORDER BY count(*) LIMIT 1 OFFSET 499`,
    [HEAVY_USER],
  );
  await dataSource.destroy();
  return {
    messages: row.messages,
    conversations: row.conversations,
    loadSeconds: NaN,
    indexBuildSeconds: NaN,
    indexBytes: Number(row.index_bytes),
    tableBytes: Number(row.table_bytes),
    typicalUser: typical.user_id,
    typicalUserMessages: typical.n,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
