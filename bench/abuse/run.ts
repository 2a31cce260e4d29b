import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { searchTerms } from '../../src/conversations/messages/search-terms';
import { benchToken, startBenchApp } from '../support/bench-app';
import { BENCH_SERVER, migratedDataSource, recreateDatabase } from '../support/bench-database';
import { percentile, SeededRandom } from '../support/random';

const DATABASE = 'chatbot_bench_abuse';
const ATTACKER = 1;
const BYSTANDER = 2;
const SYLLABLES = '가나다라마바사아자차카타파하관세율수입신고서원산지증명'.split('');

/**
 * What one valid token can make an instance do: a user with 20,000 messages (1,200 of them
 * 32,000-character texts made of a few syllables, so that every index term matches them), and
 * the requests an adversarial review sent: wide bodies, costly searches, searches in parallel.
 * Prints each attack's status and time, the longest /health/live wait while it ran, and what a
 * bystander's cached read and append saw meanwhile.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { reuse: { type: 'boolean', default: false } } });
  if (!values.reuse) await load();
  const app = await startBenchApp(DATABASE, {
    POSTGRES_POOL_SIZE: '4',
    POSTGRES_MAX_OVERFLOW: '0',
  });
  try {
    const attacker = {
      Authorization: `Bearer ${await benchToken(ATTACKER, 'messages:write:assistant')}`,
    };
    const bystander = {
      Authorization: `Bearer ${await benchToken(BYSTANDER, 'messages:write:assistant')}`,
    };
    const json = { 'Content-Type': 'application/json' };
    const wide = (count: number): Record<string, number> =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [i.toString(36), 0]));
    const listed = (await (
      await fetch(`${app.url}/api/v1/conversations?limit=1`, { headers: bystander })
    ).json()) as { conversations: Array<{ id: string }> };
    const bystanderConversation = listed.conversations[0].id;

    // Bodies are built before the clock starts: building them is the client's cost.
    const wideTop = JSON.stringify({ title: 't', ...wide(90_000) });
    const wideMetadata = JSON.stringify({ title: 't', metadata: wide(90_000) });
    const attacks: Array<{ name: string; send: () => Promise<Response> }> = [
      {
        name: `body: 90,000 unknown top-level keys (${Math.round(wideTop.length / 1024)} KiB)`,
        send: () =>
          fetch(`${app.url}/api/v1/conversations`, {
            method: 'POST',
            headers: { ...attacker, ...json },
            body: wideTop,
          }),
      },
      {
        name: `body: 90,000 keys inside metadata (${Math.round(wideMetadata.length / 1024)} KiB)`,
        send: () =>
          fetch(`${app.url}/api/v1/conversations`, {
            method: 'POST',
            headers: { ...attacker, ...json },
            body: wideMetadata,
          }),
      },
      ...[
        [
          'search: 100 one-syllable words',
          SYLLABLES.concat(SYLLABLES, SYLLABLES, SYLLABLES, SYLLABLES).slice(0, 100).join(' '),
        ],
        [
          'search: 66 punctuation pairs',
          Array.from({ length: 66 }, (_, i) => '!@#$%^&*()'[i % 10] + '?!.,;:'[i % 6]).join(' '),
        ],
        [
          'search: 50 three-syllable words',
          Array.from(
            { length: 50 },
            (_, i) => SYLLABLES[i % 20] + SYLLABLES[(i * 3) % 20] + SYLLABLES[(i * 7) % 20],
          ).join(' '),
        ],
        ['search: 가 repeated 200 times', '가'.repeat(200)],
        [
          'search: 18 nested words, limit 100',
          Array.from({ length: 18 }, (_, i) =>
            '가나다라마바사아자차카타파하관세율수'.slice(0, i + 1),
          ).join(' '),
        ],
      ].map(([name, query]) => ({
        name: name as string,
        send: () =>
          fetch(`${app.url}/api/v1/conversations/search`, {
            method: 'POST',
            headers: { ...attacker, ...json },
            body: JSON.stringify({ query, limit: name.includes('limit 100') ? 100 : 20 }),
          }),
      })),
    ];

    console.log(
      `\nAbuse benchmark, ${new Date().toISOString()}: user ${ATTACKER} with 20,000 messages (1,200 of 32,000 characters), pool of 4`,
    );
    console.log(
      '\n| attack | status | answered in ms (p50 / max of 5) | longest /health/live wait ms |',
    );
    console.log('|---|---|---|---|');
    for (const attack of attacks) {
      const times: number[] = [];
      let status = 0;
      let longestProbe = 0;
      for (let i = 0; i < 5; i += 1) {
        const probing = probeLiveness(app.url);
        const started = performance.now();
        const response = await attack.send();
        await response.arrayBuffer();
        times.push(performance.now() - started);
        status = response.status;
        longestProbe = Math.max(longestProbe, await probing.stop());
      }
      console.log(
        `| ${attack.name} | ${status} | ${percentile(times, 50).toFixed(0)} / ${Math.max(...times).toFixed(0)} | ${longestProbe.toFixed(0)} |`,
      );
    }

    // Noisy neighbour: 50 concurrent searches for a common word by one user (each client waits
    // the Retry-After of a 429 before trying again, as clients do), while another user reads a
    // cached page and appends.
    const cachedRead = (): Promise<Response> =>
      fetch(`${app.url}/api/v1/conversations/${bystanderConversation}`, { headers: bystander });
    const append = (): Promise<Response> =>
      fetch(`${app.url}/api/v1/conversations/${bystanderConversation}/messages`, {
        method: 'POST',
        headers: { ...bystander, ...json },
        body: JSON.stringify({ role: 'user', content: '이웃의 질문' }),
      });
    await cachedRead();
    const idle = { read: await timeMany(cachedRead, 500), append: await timeMany(append, 200) };
    let flooding = true;
    const floodStatuses = new Map<number, number>();
    const flood = Array.from({ length: 50 }, async () => {
      while (flooding) {
        const response = await fetch(`${app.url}/api/v1/conversations/search`, {
          method: 'POST',
          headers: { ...attacker, ...json },
          body: JSON.stringify({ query: '관세' }),
        });
        await response.arrayBuffer();
        floodStatuses.set(response.status, (floodStatuses.get(response.status) ?? 0) + 1);
        const retryAfter = Number(response.headers.get('retry-after') ?? 0);
        if (retryAfter > 0) await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const busy = { read: await timeMany(cachedRead, 500), append: await timeMany(append, 200) };
    flooding = false;
    await Promise.all(flood);
    console.log(
      '\n| bystander, while one user runs 50 concurrent searches | idle p50 / p99 ms | during p50 / p99 ms | p99 ratio | failed |',
    );
    console.log('|---|---|---|---|---|');
    for (const kind of ['read', 'append'] as const) {
      const ratio = percentile(busy[kind].ms, 99) / percentile(idle[kind].ms, 99);
      console.log(
        `| ${kind === 'read' ? 'cached GET /:id' : 'append'} | ${percentile(idle[kind].ms, 50).toFixed(1)} / ${percentile(idle[kind].ms, 99).toFixed(1)} | ${percentile(busy[kind].ms, 50).toFixed(1)} / ${percentile(busy[kind].ms, 99).toFixed(1)} | ${ratio.toFixed(2)} | ${busy[kind].failed} |`,
      );
    }
    console.log(
      `\nthe flood's answers: ${[...floodStatuses].map(([status, count]) => `${count} x ${status}`).join(', ')}`,
    );
  } finally {
    await app.stop();
  }
}

async function timeMany(
  send: () => Promise<Response>,
  count: number,
): Promise<{ ms: number[]; failed: number }> {
  const ms: number[] = [];
  let failed = 0;
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const response = await send();
    await response.arrayBuffer();
    ms.push(performance.now() - started);
    if (response.status >= 300) failed += 1;
  }
  return { ms, failed };
}

/** Asks /health/live every 5 ms until stopped; resolves with the longest wait. */
function probeLiveness(url: string): { stop(): Promise<number> } {
  let running = true;
  let longest = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`${url}/health/live`)).arrayBuffer();
      longest = Math.max(longest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return longest;
    },
  };
}

/** The attacker's 20,000 messages and a bystander with one conversation of ten. */
async function load(): Promise<void> {
  await recreateDatabase(DATABASE);
  await (await migratedDataSource(DATABASE)).destroy();
  const client = new Client({ ...BENCH_SERVER, database: DATABASE });
  await client.connect();
  const random = new SeededRandom(20261201);
  const text = (length: number): string =>
    Array.from({ length }, () =>
      random.next() < 0.12 ? ' ' : SYLLABLES[Math.floor(random.next() * SYLLABLES.length)],
    ).join('');
  await client.query(
    `INSERT INTO conversations (id, user_id, title, message_count)
     SELECT 'conv_abuse_' || c, $1, 'abuse ' || c, 200 FROM generate_series(1, 100) c`,
    [ATTACKER],
  );
  await client.query(
    `INSERT INTO conversations (id, user_id, title, message_count) VALUES ('conv_bystander', $1, 'bystander', 10)`,
    [BYSTANDER],
  );
  for (let batch = 0; batch < 20; batch += 1) {
    const rows = Array.from({ length: 1000 }, (_, i) => {
      const n = batch * 1000 + i;
      const content =
        n % 1000 < 60 ? text(32_000) : `관세율 조회 HS ${n} customs duty ${text(150)}`;
      return {
        id: `msg_abuse_${n}`,
        conversation: `conv_abuse_${1 + (n % 100)}`,
        seq: 1 + Math.floor(n / 100),
        content,
        terms: searchTerms(content),
      };
    });
    await client.query(
      `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, timestamp, search_terms)
       SELECT r.id, r.conversation, $2, r.seq, 'user', r.content, now() - (r.seq || ' minutes')::interval, r.terms
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, conversation text, seq int, content text, terms text[])`,
      [JSON.stringify(rows), ATTACKER],
    );
  }
  await client.query(
    `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, search_terms)
     SELECT 'msg_bystander_' || s, 'conv_bystander', $1, s, 'user', '안녕하세요', '{안,안녕,녕,녕하,하,하세,세,세요,요}' FROM generate_series(1, 10) s`,
    [BYSTANDER],
  );
  await client.query('VACUUM ANALYZE');
  await client.end();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
