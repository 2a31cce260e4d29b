import { searchTerms } from '../../src/conversations/messages/search-terms';
import { migratedDataSource, recreateDatabase } from '../support/bench-database';
import { SeededRandom } from '../support/random';
import { buildVocabulary, MessageWriter } from './corpus';

export const SEARCH_BENCH_DATABASE = process.env.BENCH_SEARCH_DB ?? 'chatbot_bench_search';
export const HEAVY_USER = 1;
const SEED = 20261127;
const USAGE_SEED = 20261201;
const AGENTS = ['regulation_agent', 'consultation_agent', 'conversation_agent'] as const;
/** Median answer latency per agent, in ms (log-normal around it), for the agents benchmark. */
const MEDIAN_LATENCY_MS: Record<(typeof AGENTS)[number], number> = {
  regulation_agent: 2500,
  consultation_agent: 4000,
  conversation_agent: 900,
};
const USERS = 1000;
const BATCH = 5000;

export interface SearchDataSet {
  messages: number;
  conversations: number;
  loadSeconds: number;
  indexBuildSeconds: number;
  indexBytes: number;
  tableBytes: number;
  typicalUser: number;
  typicalUserMessages: number;
}

export interface GenerateOptions {
  /** Default `chatbot_bench_search`. */
  database?: string;
  /** Give assistant messages `usage` (model, tokens, latency), drawn from a random of its own. */
  usage?: boolean;
}

/**
 * Loads the search benchmark's data set: `total` messages (default 1M) of generated customs text
 * for 1,000 users, one of them heavy (10%), the rest log-normally spread (median about 400), in
 * timestamp order so that users interleave on disk; the search index is built afterwards (timed),
 * then ANALYZE. With `usage`, the same messages (the text draws are unchanged) with usage on the
 * assistant ones.
 */
export async function generateSearchData(
  total: number,
  log: (line: string) => void,
  options: GenerateOptions = {},
): Promise<SearchDataSet> {
  const database = options.database ?? SEARCH_BENCH_DATABASE;
  const random = new SeededRandom(SEED);
  const usageRandom = new SeededRandom(USAGE_SEED);
  const vocabulary = buildVocabulary(random);
  const writer = new MessageWriter(vocabulary, random);
  await recreateDatabase(database);
  const dataSource = await migratedDataSource(database);
  await dataSource.query('DROP INDEX idx_messages_content_search');

  const heavyShare = 0.1;
  const weights = Array.from({ length: USERS }, (_, i) =>
    i === 0 ? 0 : Math.exp(1.25 * random.normal()),
  );
  const otherTotal = weights.reduce((sum, weight) => sum + weight, 0);
  const cumulative: number[] = [];
  let running = 0;
  for (let i = 0; i < USERS; i += 1) {
    running += i === 0 ? heavyShare : ((1 - heavyShare) * weights[i]) / otherTotal;
    cumulative.push(running);
  }
  const pickUser = (): number => {
    const target = random.next() * running;
    let low = 0;
    let high = USERS - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  };

  const current = new Map<number, { id: string; seq: number; last: string | null }>();
  let conversations = 0;
  const started = Date.now();
  const epoch = Date.parse('2025-01-01T00:00:00Z');
  for (let offset = 0; offset < total; offset += BATCH) {
    const newConversations: Array<{ id: string; user_id: number; title: string }> = [];
    const rows: unknown[] = [];
    for (let i = offset; i < Math.min(total, offset + BATCH); i += 1) {
      const userId = pickUser();
      let conversation = current.get(userId);
      if (!conversation || random.next() < 1 / 25) {
        conversation = {
          id: `conv_${(conversations += 1).toString(16).padStart(12, '0')}`,
          seq: 0,
          last: null,
        };
        current.set(userId, conversation);
        newConversations.push({
          id: conversation.id,
          user_id: userId,
          title: `대화 ${conversations}`,
        });
      }
      conversation.seq += 1;
      const content = writer.write();
      const id = `msg_${i.toString(16).padStart(12, '0')}`;
      const agent = conversation.seq % 2 === 1 ? null : random.pick(AGENTS);
      rows.push({
        id,
        // One branch per conversation: each message follows the previous one.
        parent_id: conversation.last,
        conversation_id: conversation.id,
        user_id: userId,
        seq: conversation.seq,
        role: conversation.seq % 2 === 1 ? 'user' : 'assistant',
        content,
        agent_used: agent,
        usage: agent && options.usage ? drawUsage(usageRandom, agent) : null,
        timestamp: new Date(epoch + i * 20_000).toISOString(),
        terms: searchTerms(content),
      });
      conversation.last = id;
    }
    await dataSource.query(
      `INSERT INTO conversations (id, user_id, title) SELECT id, user_id, title FROM jsonb_to_recordset($1::jsonb) AS c(id text, user_id int, title text)`,
      [JSON.stringify(newConversations)],
    );
    await dataSource.query(
      `INSERT INTO messages (id, parent_id, depth, conversation_id, user_id, seq, role, content, agent_used, usage, timestamp, search_terms)
       SELECT id, parent_id, seq, conversation_id, user_id, seq, role, content, agent_used, usage, timestamp, ARRAY(SELECT jsonb_array_elements_text(terms))
       FROM jsonb_to_recordset($1::jsonb) AS m(id text, parent_id text, conversation_id text, user_id int, seq int, role text, content text, agent_used text, usage jsonb, timestamp timestamptz, terms jsonb)`,
      [JSON.stringify(rows)],
    );
    if ((offset / BATCH) % 20 === 0) log(`loaded ${offset + rows.length} messages`);
  }
  await dataSource.query(
    `UPDATE conversations c SET message_count = s.n, updated_at = s.last, created_at = s.first, head_message_id = s.head
     FROM (SELECT conversation_id, count(*) AS n, max(timestamp) AS last, min(timestamp) AS first,
                  (array_agg(id ORDER BY seq DESC))[1] AS head
           FROM messages GROUP BY conversation_id) s
     WHERE s.conversation_id = c.id`,
  );
  // A few deleted conversations, as in real use: search must skip them.
  await dataSource.query(`UPDATE conversations SET is_active = false WHERE hashtext(id) % 50 = 0`);
  const loadSeconds = (Date.now() - started) / 1000;
  const indexStarted = Date.now();
  await dataSource.query(
    'CREATE INDEX idx_messages_content_search ON messages USING gin (user_id, search_terms)',
  );
  const indexBuildSeconds = (Date.now() - indexStarted) / 1000;
  // The steady state of a live database (autovacuum): visibility map set, statistics fresh.
  await dataSource.query('VACUUM (ANALYZE)');
  const [{ index_bytes, table_bytes }] = await dataSource.query(
    `SELECT pg_relation_size('idx_messages_content_search') AS index_bytes, pg_total_relation_size('messages') AS table_bytes`,
  );
  const [typical] = await dataSource.query(
    `SELECT user_id, count(*)::int AS n FROM messages WHERE user_id <> $1 GROUP BY user_id ORDER BY count(*) LIMIT 1 OFFSET ${Math.floor((USERS - 1) / 2)}`,
    [HEAVY_USER],
  );
  await dataSource.destroy();
  return {
    messages: total,
    conversations,
    loadSeconds,
    indexBuildSeconds,
    indexBytes: Number(index_bytes),
    tableBytes: Number(table_bytes),
    typicalUser: typical.user_id,
    typicalUserMessages: typical.n,
  };
}

function drawUsage(
  random: SeededRandom,
  agent: (typeof AGENTS)[number],
): { model: string; prompt_tokens: number; completion_tokens: number; latency_ms: number } {
  return {
    model: random.pick(['gpt-4o', 'gpt-4o-mini', 'claude-sonnet']),
    prompt_tokens: 200 + random.int(2800),
    completion_tokens: 50 + random.int(750),
    latency_ms: Math.round(MEDIAN_LATENCY_MS[agent] * Math.exp(0.6 * random.normal())),
  };
}
