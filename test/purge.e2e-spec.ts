import { Client } from 'pg';
import { PURGE_LOCK_KEY } from '../src/retention/purge-lock';
import { PurgeService, type PurgeReport } from '../src/retention/purge.service';
import { ApiClient } from './support/api-client';
import { metricValue } from './support/metrics';
import { commandEnvironment, runCli } from './support/run-cli';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const ALICE = 1701;
const BOB = 1702;
const BULK_USER = 1703;

/**
 * Records every DELETE and UPDATE statement on the purged tables with the number of rows it
 * touched (statement triggers with transition tables), so that the batch size is observed, not
 * assumed.
 */
async function recordStatements(db: TestDatabase): Promise<void> {
  await db.client.query(`
    CREATE TABLE purge_statements (table_name text, operation text, rows int);
    CREATE FUNCTION record_purge_statement() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO purge_statements SELECT TG_TABLE_NAME, TG_OP, count(*) FROM touched;
      RETURN NULL;
    END $$;
    CREATE TRIGGER messages_deletes AFTER DELETE ON messages REFERENCING OLD TABLE AS touched
      FOR EACH STATEMENT EXECUTE FUNCTION record_purge_statement();
    CREATE TRIGGER conversations_deletes AFTER DELETE ON conversations REFERENCING OLD TABLE AS touched
      FOR EACH STATEMENT EXECUTE FUNCTION record_purge_statement();
    CREATE TRIGGER conversations_updates AFTER UPDATE ON conversations REFERENCING OLD TABLE AS touched
      FOR EACH STATEMENT EXECUTE FUNCTION record_purge_statement();
    CREATE TRIGGER idempotency_deletes AFTER DELETE ON idempotency_keys REFERENCING OLD TABLE AS touched
      FOR EACH STATEMENT EXECUTE FUNCTION record_purge_statement();`);
}

/** `count` conversations of `userId` in the trash since `daysAgo`, each with `messages` messages. */
async function insertTrashed(
  db: TestDatabase,
  userId: number,
  prefix: string,
  count: number,
  messages: number,
  daysAgo: number,
): Promise<void> {
  await db.client.query(
    `INSERT INTO conversations (id, user_id, title, message_count, is_active, deleted_at)
     SELECT $2 || i, $1, 'old', $4, false, now() - $5::int * interval '1 day'
     FROM generate_series(1, $3) AS i`,
    [userId, prefix, count, messages, daysAgo],
  );
  await db.client.query(
    `INSERT INTO messages (id, conversation_id, user_id, seq, role, content)
     SELECT $2 || i || '_' || s, $2 || i, $1, s, 'user', 'old message'
     FROM generate_series(1, $3) AS i, generate_series(1, $4) AS s`,
    [userId, prefix, count, messages],
  );
}

async function countOf(db: TestDatabase, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.client.query(`SELECT (${sql})::int AS n`, params);
  return rows[0].n;
}

describe('the purge and retention job', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
    await recordStatements(t.db);
  });

  afterAll(async () => {
    await t.close();
  });

  const purge = (options: { dryRun?: boolean } = {}): Promise<PurgeReport> =>
    t.app.get(PurgeService).run(options);
  const backdateTrash = (id: string, days: number) =>
    t.db.client.query(
      `UPDATE conversations SET deleted_at = now() - $2::int * interval '1 day' WHERE id = $1`,
      [id, days],
    );

  it('purges conversations trashed longer than the window with their messages, feedback and idempotency records; younger ones stay', async () => {
    const created = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .set('Idempotency-Key', 'purge-create')
      .send({ title: 'to purge', initial_message: '오래된 질문' });
    const old = created.body.id as string;
    const answered = await t.http
      .post(`/api/v1/conversations/${old}/messages`)
      .set(api.auth(ALICE, 'agent'))
      .set('Idempotency-Key', 'purge-append')
      .send({ role: 'assistant', content: '오래된 답변', agent_used: 'regulation_agent' })
      .expect(201);
    await t.http
      .put(`/api/v1/conversations/${old}/messages/${answered.body.messages[0].id}/feedback`)
      .set(api.auth(ALICE))
      .send({ rating: 'up' })
      .expect(200);
    const unrelatedKey = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .set('Idempotency-Key', 'purge-unrelated')
      .send({ title: 'kept' });
    const young = (await api.createConversation(ALICE, { initial_message: '최근 삭제' })).id;
    const live = (await api.createConversation(ALICE, { initial_message: '살아 있음' })).id;
    for (const id of [old, young]) {
      await t.http.delete(`/api/v1/conversations/${id}`).set(api.auth(ALICE)).expect(204);
    }
    await backdateTrash(old, 31);
    await backdateTrash(young, 29);

    const report = await purge();
    expect(report).toMatchObject({
      outcome: 'completed',
      trashRetentionDays: 30,
      retentionDays: null,
      movedToTrash: 0,
      purged: { conversations: 1, messages: 2, feedback: 1, idempotency_keys: 2 },
    });
    expect(report.longestStatementMs).toBeGreaterThan(0);
    expect(await countOf(t.db, `SELECT count(*) FROM conversations WHERE id = $1`, [old])).toBe(0);
    expect(
      await countOf(t.db, `SELECT count(*) FROM messages WHERE conversation_id = $1`, [old]),
    ).toBe(0);
    for (const table of ['message_feedback', 'agent_daily_conversations'])
      expect(
        await countOf(t.db, `SELECT count(*) FROM ${table} WHERE conversation_id = $1`, [old]),
      ).toBe(0);
    expect(
      await countOf(
        t.db,
        `SELECT count(*) FROM idempotency_keys WHERE user_id = $1 AND key LIKE 'purge-%'`,
        [ALICE],
      ),
    ).toBe(1);
    expect(unrelatedKey.status).toBe(201);
    expect(
      await countOf(t.db, `SELECT count(*) FROM messages WHERE conversation_id = ANY($1)`, [
        [young, live],
      ]),
    ).toBe(2);
    const trash = await t.http.get('/api/v1/conversations?trashed=true').set(api.auth(ALICE));
    expect(trash.body.conversations.map((c: { id: string }) => c.id)).toEqual([young]);
    await t.http.post(`/api/v1/conversations/${young}/restore`).set(api.auth(ALICE)).expect(200);
  });

  it("deletes every user's idempotency records older than 24 hours, keeping younger ones", async () => {
    for (const [userId, key, age] of [
      [ALICE, 'expired-a', '25 hours'],
      [BOB, 'expired-b', '3 days'],
      [BOB, 'fresh-b', '23 hours'],
    ] as const) {
      await t.db.client.query(
        `INSERT INTO idempotency_keys (user_id, key, request_fingerprint, status_code, response_body, created_at)
         VALUES ($1, $2, repeat('0', 64), 201, '{}', now() - $3::interval)`,
        [userId, key, age],
      );
    }
    const report = await purge();
    expect(report.expiredIdempotencyKeys).toBe(2);
    const { rows } = await t.db.client.query(
      `SELECT key FROM idempotency_keys WHERE key IN ('expired-a', 'expired-b', 'fresh-b')`,
    );
    expect(rows).toEqual([{ key: 'fresh-b' }]);
  });

  it('deletes in statements of at most 1,000 rows, each row once', async () => {
    await t.db.client.query('TRUNCATE purge_statements');
    await insertTrashed(t.db, BULK_USER, 'conv_batch_', 2_345, 2, 45);
    const report = await purge();
    expect(report.purged).toMatchObject({ conversations: 2_345, messages: 4_690 });
    const { rows } = await t.db.client.query(
      `SELECT table_name, count(*)::int AS statements, max(rows) AS largest, sum(rows)::int AS total
       FROM purge_statements WHERE operation = 'DELETE' AND rows > 0 GROUP BY table_name ORDER BY 1`,
    );
    expect(rows).toEqual([
      { table_name: 'conversations', statements: 3, largest: 1000, total: 2_345 },
      { table_name: 'messages', statements: 5, largest: 1000, total: 4_690 },
    ]);
    expect(report.statements).toBeGreaterThanOrEqual(8);
  });

  it('counts its runs and rows in Prometheus', async () => {
    const runs = await metricValue(t.http, 'purge_runs_total{outcome="completed"}');
    const messages = await metricValue(
      t.http,
      'purge_deleted_rows_total{table="messages",reason="trash"}',
    );
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(messages).toBeGreaterThanOrEqual(4_692);
    expect(
      await metricValue(
        t.http,
        'purge_deleted_rows_total{table="idempotency_keys",reason="expired"}',
      ),
    ).toBe(2);
    expect(
      await metricValue(t.http, 'purge_statement_duration_seconds_count{table="messages"}'),
    ).toBeGreaterThan(0);
  });

  it('skips, deleting nothing, while another session holds the purge lock', async () => {
    await insertTrashed(t.db, BULK_USER, 'conv_locked_', 3, 1, 60);
    const other = new Client({ ...testEnvironment().postgres, database: t.db.name });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [PURGE_LOCK_KEY]);
      const skipped = await purge();
      expect(skipped.outcome).toBe('skipped');
      expect(skipped.purged.conversations).toBe(0);
      expect(
        await countOf(t.db, `SELECT count(*) FROM conversations WHERE id LIKE 'conv_locked_%'`),
      ).toBe(3);
      expect(await metricValue(t.http, 'purge_runs_total{outcome="skipped"}')).toBe(1);
    } finally {
      await other.end();
    }
    expect((await purge()).purged.conversations).toBe(3);
  });

  it('dry run: reports what it would delete and deletes nothing', async () => {
    await insertTrashed(t.db, BULK_USER, 'conv_dry_', 1_500, 1, 40);
    await t.db.client.query('TRUNCATE purge_statements');
    const report = await purge({ dryRun: true });
    expect(report).toMatchObject({
      outcome: 'dry_run',
      purged: { conversations: 1_500, messages: 1_500, idempotency_keys: 0 },
    });
    expect(await countOf(t.db, 'SELECT count(*) FROM purge_statements')).toBe(0);
    expect(
      await countOf(t.db, `SELECT count(*) FROM conversations WHERE id LIKE 'conv_dry_%'`),
    ).toBe(1_500);
    expect((await purge()).purged.conversations).toBe(1_500);
  });
});

describe('retention (RETENTION_DAYS)', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp({ RETENTION_DAYS: '10', TRASH_RETENTION_DAYS: '7' });
    api = await ApiClient.forUsers(t.http, [ALICE]);
  });

  afterAll(async () => {
    await t.close();
  });

  it('moves conversations not updated for that long to the trash, restorable, keeping updated_at', async () => {
    const stale = (await api.createConversation(ALICE, { title: 'stale' })).id;
    const recent = (await api.createConversation(ALICE, { title: 'recent' })).id;
    await t.db.client.query(
      `UPDATE conversations SET updated_at = now() - interval '11 days' WHERE id = $1`,
      [stale],
    );
    await t.db.client.query(
      `UPDATE conversations SET updated_at = now() - interval '9 days' WHERE id = $1`,
      [recent],
    );
    const list = () => t.http.get('/api/v1/conversations').set(api.auth(ALICE));
    await list();
    expect((await list()).headers['x-cache']).toBe('HIT');
    const { rows: before } = await t.db.client.query(
      'SELECT updated_at FROM conversations WHERE id = $1',
      [stale],
    );

    const report = await t.app.get(PurgeService).run();
    expect(report).toMatchObject({ movedToTrash: 1, retentionDays: 10, trashRetentionDays: 7 });
    const { rows } = await t.db.client.query(
      'SELECT is_active, deleted_at, updated_at FROM conversations WHERE id = $1',
      [stale],
    );
    expect(rows[0].is_active).toBe(false);
    expect(Date.now() - rows[0].deleted_at.getTime()).toBeLessThan(60_000);
    expect(rows[0].updated_at).toEqual(before[0].updated_at);
    // The cached list changed: the next read shows it.
    const after = await list();
    expect(after.body.conversations.map((c: { id: string }) => c.id)).toEqual([recent]);
    const trash = await t.http.get('/api/v1/conversations?trashed=true').set(api.auth(ALICE));
    expect(trash.body.conversations.map((c: { id: string }) => c.id)).toEqual([stale]);
    // Restored, it counts as updated: the next run leaves it alone.
    await t.http.post(`/api/v1/conversations/${stale}/restore`).set(api.auth(ALICE)).expect(200);
    expect((await t.app.get(PurgeService).run()).movedToTrash).toBe(0);
    expect(await metricValue(t.http, 'retention_trashed_conversations_total')).toBe(1);
  });
});

describe('two replicas running the job at once', () => {
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    one = await startTestApp({}, db);
    two = await startTestApp({}, db);
    await recordStatements(db);
  });

  afterAll(async () => {
    await two.close();
    await one.close();
    await db.drop();
  });

  it('purges each row once: one replica works, the other skips or finds nothing left', async () => {
    await insertTrashed(db, BULK_USER, 'conv_race_', 3_000, 2, 90);
    const reports = await Promise.all([
      one.app.get(PurgeService).run(),
      two.app.get(PurgeService).run(),
    ]);
    const purged = reports.reduce((sum, report) => sum + report.purged.conversations, 0);
    const messages = reports.reduce((sum, report) => sum + report.purged.messages, 0);
    expect([purged, messages]).toEqual([3_000, 6_000]);
    expect(reports.map((report) => report.outcome)).toContain('completed');
    expect(
      await countOf(db, `SELECT count(*) FROM conversations WHERE id LIKE 'conv_race_%'`),
    ).toBe(0);
    expect(
      await countOf(
        db,
        `SELECT sum(rows) FROM purge_statements WHERE table_name = 'conversations' AND operation = 'DELETE'`,
      ),
    ).toBe(3_000);
  });
});

describe('the schedule and npm run db:purge', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  const cliEnv = (): Record<string, string> => commandEnvironment(db.name);

  it('--dry-run prints what it would move and delete, and deletes nothing', async () => {
    await insertTrashed(db, BULK_USER, 'conv_cli_', 4, 3, 31);
    await db.client.query(
      `UPDATE conversations SET is_active = true, deleted_at = NULL, updated_at = now() - interval '400 days' WHERE id = 'conv_cli_4'`,
    );
    const result = await runCli('db-purge.ts', ['--dry-run'], {
      ...cliEnv(),
      RETENTION_DAYS: '365',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '1 conversations not updated for 365 days would be moved to the trash',
    );
    expect(result.stdout).toContain(
      '3 conversations in the trash for over 30 days would be purged with 9 messages',
    );
    expect(result.stdout).toContain('dry run: nothing was written');
    expect(
      await countOf(
        db,
        `SELECT count(*) FROM conversations WHERE id LIKE 'conv_cli_%' AND is_active = false`,
      ),
    ).toBe(3);
    expect(
      await countOf(db, `SELECT count(*) FROM messages WHERE conversation_id LIKE 'conv_cli_%'`),
    ).toBe(12);
  });

  it('runs the job once and prints what it moved and deleted', async () => {
    const result = await runCli('db-purge.ts', [], { ...cliEnv(), RETENTION_DAYS: '365' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^1 conversations not updated for 365 days were moved to the trash; 3 conversations in the trash for over 30 days were purged with 9 messages, 0 feedback and 0 idempotency records; 0 expired idempotency records were deleted; \d+ statements, the longest [\d.]+ ms, in [\d.]+ s\n$/,
    );
    expect(await countOf(db, `SELECT count(*) FROM conversations WHERE id LIKE 'conv_cli_%'`)).toBe(
      1,
    );
  });

  it('refuses an unknown option with its usage', async () => {
    const result = await runCli('db-purge.ts', ['--force'], cliEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: npm run db:purge [-- --dry-run]');
  });

  it('runs inside the service every PURGE_INTERVAL_SECONDS, not before the first interval', async () => {
    await insertTrashed(db, BULK_USER, 'conv_tick_', 2, 1, 31);
    const app = await startTestApp({ PURGE_INTERVAL_SECONDS: '2' }, db);
    try {
      const left = () =>
        countOf(db, `SELECT count(*) FROM conversations WHERE id LIKE 'conv_tick_%'`);
      expect(await left()).toBe(2);
      const deadline = Date.now() + 10_000;
      while ((await left()) > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(await left()).toBe(0);
    } finally {
      await app.close();
    }
  });
});
