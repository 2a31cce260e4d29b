import { createClient } from '@keyv/redis';
import { Logger } from '@nestjs/common';
import { get } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ApiClient } from './support/api-client';
import { commandEnvironment, runCli } from './support/run-cli';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const EXPORTER = 1801;
const OTHER = 1802;
const ERASED = 1803;
const KEPT = 1804;
const OPERATOR_ERASED = 1805;

const CONVERSATIONS = 200;
const MESSAGES_EACH = 500;
const CONTENT = `${'관세 '.repeat(50)}${'x'.repeat(650)}`;

describe('GET /api/v1/me/export', () => {
  let t: TestApp;
  let api: ApiClient;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [EXPORTER, OTHER]);
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers NDJSON as a download: the export line, then each conversation, oldest first, followed by its messages in seq order', async () => {
    const first = await api.createConversation(OTHER, {
      title: 'first',
      initial_message: '첫 질문',
      metadata: { channel: 'web' },
    });
    const appended = await api.append(OTHER, first.id, {
      messages: [
        {
          role: 'assistant',
          content: '첫 답변',
          agent_used: 'regulation_agent',
          usage: { model: 'gpt-4o', prompt_tokens: 12, completion_tokens: 3 },
        },
        { role: 'user', content: '둘째 질문' },
      ],
    });
    await t.http
      .put(`/api/v1/conversations/${first.id}/messages/${appended.messages[0].id}/feedback`)
      .set(api.auth(OTHER))
      .send({ rating: 'up', reasons: ['accurate'] })
      .expect(200);
    const archived = await api.createConversation(OTHER, { title: 'archived' });
    await t.http
      .patch(`/api/v1/conversations/${archived.id}`)
      .set(api.auth(OTHER))
      .send({ is_archived: true, tags: ['Keep'] })
      .expect(200);
    const trashed = await api.createConversation(OTHER, {
      title: 'trashed',
      initial_message: '휴지통',
    });
    await t.http.delete(`/api/v1/conversations/${trashed.id}`).set(api.auth(OTHER)).expect(204);
    const expired = await api.createConversation(OTHER, { title: 'past the window' });
    await t.http.delete(`/api/v1/conversations/${expired.id}`).set(api.auth(OTHER)).expect(204);
    await t.db.client.query(
      `UPDATE conversations SET deleted_at = now() - interval '31 days' WHERE id = $1`,
      [expired.id],
    );

    const response = await t.http.get('/api/v1/me/export').set(api.auth(OTHER));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="export-${OTHER}.ndjson"`,
    );
    expect(response.text.endsWith('\n')).toBe(true);
    const lines = response.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0]).toEqual({
      type: 'export',
      user_id: OTHER,
      exported_at: expect.any(String),
      format_version: 1,
    });
    expect(Math.abs(Date.parse(lines[0].exported_at) - Date.now())).toBeLessThan(60_000);
    expect(lines.slice(1).map((line) => [line.type, line.title ?? line.content])).toEqual([
      ['conversation', 'first'],
      ['message', '첫 질문'],
      ['message', '첫 답변'],
      ['message', '둘째 질문'],
      ['conversation', 'archived'],
      ['conversation', 'trashed'],
      ['message', '휴지통'],
    ]);
    expect(lines[1]).toEqual({
      type: 'conversation',
      ...(await t.http.get(`/api/v1/conversations/${first.id}`).set(api.auth(OTHER))).body,
      recent_messages: undefined,
      deleted_at: null,
    });
    expect(lines[3]).toMatchObject({
      type: 'message',
      conversation_id: first.id,
      seq: 2,
      role: 'assistant',
      agent_used: 'regulation_agent',
      routing_info: {},
      references: [],
      metadata: {},
    });
    // Each message as the API answers it: its place in the tree, its usage, its feedback.
    const page = await t.http
      .get(`/api/v1/conversations/${first.id}/messages`)
      .set(api.auth(OTHER));
    expect(lines.slice(2, 5)).toEqual(
      page.body.messages.map((message: object) => ({ type: 'message', ...message })),
    );
    expect(lines[3]).toMatchObject({
      usage: { prompt_tokens: 12, completion_tokens: 3 },
      feedback: { rating: 'up', reasons: ['accurate'] },
      parent_id: lines[2].id,
    });
    expect(lines[5]).toMatchObject({ is_archived: true, tags: ['Keep'], deleted_at: null });
    expect(lines[6]).toMatchObject({ is_active: false, deleted_at: expect.any(String) });
  });

  it('answers just the export line for a user with nothing', async () => {
    const response = await t.http.get('/api/v1/me/export').set(api.auth(EXPORTER));
    expect(response.status).toBe(200);
    expect(response.text.trimEnd().split('\n')).toHaveLength(1);
  });

  it('streams 100,000 messages: every row once, in order, valid NDJSON, memory within 50 MB of before', async () => {
    await t.db.client.query(
      `INSERT INTO conversations (id, user_id, title, message_count, created_at, updated_at)
       SELECT 'conv_export_' || lpad(c::text, 4, '0'), $1, 'export ' || c, $3,
              '2026-01-01'::timestamptz + c * interval '1 minute', now()
       FROM generate_series(1, $2) AS c`,
      [EXPORTER, CONVERSATIONS, MESSAGES_EACH],
    );
    await t.db.client.query(
      `INSERT INTO messages (id, conversation_id, user_id, seq, role, content)
       SELECT 'msg_export_' || c || '_' || s, 'conv_export_' || lpad(c::text, 4, '0'), $1, s,
              CASE WHEN s % 2 = 1 THEN 'user' ELSE 'assistant' END, $4 || ' ' || s
       FROM generate_series(1, $2) AS c, generate_series(1, $3) AS s`,
      [EXPORTER, CONVERSATIONS, MESSAGES_EACH, CONTENT],
    );
    const token = api.auth(EXPORTER).Authorization;
    // What the process holds during the export: the JS heap and the memory outside it
    // (Buffers), after a collection every second. Without collections the numbers would count
    // garbage V8 has not freed yet; RSS also counts the young generation's pages, which any
    // sustained allocation touches (128 MB reserved here) whatever the size of the history.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    collect();
    const before = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      collect();
      const usage = process.memoryUsage();
      peak = Math.max(peak, usage.heapUsed + usage.external - before.heapUsed - before.external);
    }, 1000);
    let bytes = 0;
    const seen = { conversations: 0, messages: 0, invalid: 0, outOfOrder: 0, header: 0 };
    try {
      await new Promise<void>((resolve, reject) => {
        get(`${baseUrl}/api/v1/me/export`, { headers: { Authorization: token } }, (response) => {
          expect(response.statusCode).toBe(200);
          let tail = '';
          let conversation = 0;
          let expectedSeq = 0;
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            bytes += Buffer.byteLength(chunk);
            const lines = (tail + chunk).split('\n');
            tail = lines.pop()!;
            for (const text of lines) {
              let line: { type: string; id?: string; seq?: number; conversation_id?: string };
              try {
                line = JSON.parse(text);
              } catch {
                seen.invalid += 1;
                continue;
              }
              if (line.type === 'export') seen.header += 1;
              else if (line.type === 'conversation') {
                conversation += 1;
                seen.conversations += 1;
                if (line.id !== `conv_export_${String(conversation).padStart(4, '0')}`)
                  seen.outOfOrder += 1;
                expectedSeq = 1;
              } else {
                seen.messages += 1;
                const owner = `conv_export_${String(conversation).padStart(4, '0')}`;
                if (line.conversation_id !== owner || line.seq !== expectedSeq)
                  seen.outOfOrder += 1;
                expectedSeq += 1;
              }
            }
          });
          response.on('end', () => {
            if (tail !== '') seen.invalid += 1;
            resolve();
          });
          response.on('error', reject);
        }).on('error', reject);
      });
    } finally {
      clearInterval(sampler);
    }
    expect(seen).toEqual({
      conversations: CONVERSATIONS,
      messages: CONVERSATIONS * MESSAGES_EACH,
      invalid: 0,
      outOfOrder: 0,
      header: 1,
    });
    // The export is far larger than the bound: holding it would break it.
    expect(bytes).toBeGreaterThan(100 * 1024 * 1024);
    expect(peak / 1024 / 1024).toBeLessThan(50);
  }, 300_000);
});

const environment = testEnvironment();
const describeWithRedis = environment.redis ? describe : describe.skip;
if (!environment.redis) console.log(`erasure tests skipped: ${environment.redisMissingReason}`);

describeWithRedis('erasure: POST /api/v1/me/erasure and npm run user:erase', () => {
  const prefix = `chatbot-test-${environment.runId}-erasure`;
  const redisEnv = {
    REDIS_HOST: environment.redis?.host ?? '',
    REDIS_PORT: String(environment.redis?.port ?? ''),
    REDIS_KEY_PREFIX: prefix,
  };
  let t: TestApp;
  let api: ApiClient;
  const redis = createClient({
    socket: { host: environment.redis?.host, port: environment.redis?.port },
  });

  beforeAll(async () => {
    t = await startTestApp(redisEnv);
    api = await ApiClient.forUsers(t.http, [ERASED, KEPT, OPERATOR_ERASED]);
    await redis.connect();
  });

  afterAll(async () => {
    redis.destroy();
    await t.close();
  });

  async function redisKeysOf(userId: number): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({
      MATCH: `${prefix}:{u:${userId}}:*`,
      COUNT: 500,
    }))
      keys.push(...batch);
    return keys;
  }

  async function storedRows(userId: number): Promise<Record<string, number>> {
    const { rows } = await t.db.client.query(
      `SELECT (SELECT count(*)::int FROM conversations WHERE user_id = $1) AS conversations,
              (SELECT count(*)::int FROM messages WHERE user_id = $1) AS messages,
              (SELECT count(*)::int FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE c.user_id = $1) AS messages_of_conversations,
              (SELECT count(*)::int FROM message_feedback WHERE user_id = $1) AS feedback,
              (SELECT count(*)::int FROM idempotency_keys WHERE user_id = $1) AS idempotency_keys`,
      [userId],
    );
    return rows[0];
  }

  /**
   * Conversations in every state, messages, feedback, idempotency records, cached reads, a rate
   * counter.
   */
  async function giveData(userId: number): Promise<void> {
    const live = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(userId))
      .set('Idempotency-Key', `erase-${userId}-1`)
      .send({ title: 'live', initial_message: '개인 정보 질문' });
    expect(live.status).toBe(201);
    const appended = await api.append(userId, live.body.id, {
      messages: [
        { role: 'assistant', content: '답변', agent_used: 'regulation_agent' },
        { role: 'user', content: '추가 질문' },
      ],
    });
    await t.http
      .put(`/api/v1/conversations/${live.body.id}/messages/${appended.messages[0].id}/feedback`)
      .set(api.auth(userId))
      .send({ rating: 'down', comment: '개인적인 의견' })
      .expect(200);
    const archived = await api.createConversation(userId, { initial_message: '보관' });
    await t.http
      .patch(`/api/v1/conversations/${archived.id}`)
      .set(api.auth(userId))
      .send({ is_archived: true })
      .expect(200);
    const trashed = await api.createConversation(userId, { initial_message: '삭제' });
    await t.http.delete(`/api/v1/conversations/${trashed.id}`).set(api.auth(userId)).expect(204);
    for (const path of [
      '/api/v1/conversations',
      `/api/v1/conversations/${live.body.id}`,
      '/api/v1/tags',
    ]) {
      await t.http.get(path).set(api.auth(userId)).expect(200);
    }
  }

  it('answers 400 without confirm: true, and erases nothing', async () => {
    await giveData(ERASED);
    for (const body of [{}, { confirm: false }, { confirm: 'true' }, { confirm: true, extra: 1 }]) {
      const response = await t.http.post('/api/v1/me/erasure').set(api.auth(ERASED)).send(body);
      expect([body, response.status]).toEqual([body, 400]);
      expect(JSON.stringify(response.body.message)).toMatch(/confirm|extra/);
    }
    const bare = await t.http.post('/api/v1/me/erasure').set(api.auth(ERASED));
    expect(bare.status).toBe(400);
    expect((await storedRows(ERASED)).conversations).toBe(3);
  });

  it("erases everything of the user in PostgreSQL and Redis, answers the receipt, and leaves another user's data alone", async () => {
    await giveData(KEPT);
    const keptRows = await storedRows(KEPT);
    const keptKeys = await redisKeysOf(KEPT);
    expect((await redisKeysOf(ERASED)).some((key) => key.includes(':ratelimit:'))).toBe(true);
    expect((await redisKeysOf(ERASED)).some((key) => key.includes(':answer:'))).toBe(true);
    const logged = jest.spyOn(Logger.prototype, 'log');

    const response = await t.http
      .post('/api/v1/me/erasure')
      .set(api.auth(ERASED))
      .send({ confirm: true });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      receipt_id: expect.stringMatching(/^erasure_[0-9a-f]{32}$/),
      user_id: ERASED,
      erased_at: expect.any(String),
      erased: { conversations: 3, messages: 5, feedback: 1, idempotency_keys: 1 },
    });
    expect(Math.abs(Date.parse(response.body.erased_at) - Date.now())).toBeLessThan(60_000);
    const line = logged.mock.calls
      .map(([message]) => String(message))
      .find((m) => m.startsWith('erasure receipt'));
    logged.mockRestore();
    expect(line).toContain(response.body.receipt_id);
    expect(line).toContain('"conversations":3');
    expect(line).not.toMatch(/개인|답변|질문/);

    expect(await storedRows(ERASED)).toEqual({
      conversations: 0,
      messages: 0,
      messages_of_conversations: 0,
      feedback: 0,
      idempotency_keys: 0,
    });
    expect(await redisKeysOf(ERASED)).toEqual([]);
    expect(await storedRows(KEPT)).toEqual(keptRows);
    expect((await redisKeysOf(KEPT)).sort()).toEqual(expect.arrayContaining(keptKeys.sort()));
    expect((await t.http.get('/api/v1/conversations').set(api.auth(KEPT))).body.total_count).toBe(
      1,
    );
  });

  it('answers a new receipt with zeros the second time', async () => {
    const again = await t.http
      .post('/api/v1/me/erasure')
      .set(api.auth(ERASED))
      .send({ confirm: true });
    expect(again.status).toBe(200);
    expect(again.body.erased).toEqual({
      conversations: 0,
      messages: 0,
      feedback: 0,
      idempotency_keys: 0,
    });
    const listed = await t.http.get('/api/v1/conversations').set(api.auth(ERASED));
    expect(listed.body).toMatchObject({ conversations: [], total_count: 0 });
  });

  it('npm run user:erase -- --user N does the same for operators and prints the receipt as JSON', async () => {
    await giveData(OPERATOR_ERASED);
    const env = { ...commandEnvironment(t.db.name), ...redisEnv };
    const result = await runCli('user-erase.ts', ['--user', String(OPERATOR_ERASED)], env);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(JSON.parse(result.stdout)).toEqual({
      receipt_id: expect.stringMatching(/^erasure_[0-9a-f]{32}$/),
      user_id: OPERATOR_ERASED,
      erased_at: expect.any(String),
      erased: { conversations: 3, messages: 5, feedback: 1, idempotency_keys: 1 },
    });
    expect((await storedRows(OPERATOR_ERASED)).conversations).toBe(0);
    expect(await redisKeysOf(OPERATOR_ERASED)).toEqual([]);
    expect((await storedRows(KEPT)).conversations).toBe(3);
    for (const args of [[], ['--user', 'abc'], ['--user', '0'], ['--user', '1', '--force']]) {
      const refused = await runCli('user-erase.ts', args, env);
      expect([args, refused.code]).toEqual([args, 2]);
      expect(refused.stderr).toContain('usage: npm run user:erase -- --user N');
    }
  });
});
