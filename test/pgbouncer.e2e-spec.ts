import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { buildConfig } from '../src/config/load-config';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { ApiClient } from './support/api-client';
import { distributedReferences, unpinnedReferences } from './support/shard-routing';
import { StatementRecorder, type RecordedStatement } from './support/statement-recorder';
import { connectTestAppsThrough, startAppOn, startTestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';
import { testEnvironment } from './support/test-environment';
import { PGBOUNCER_BINARY, TestPgBouncer } from './support/test-pgbouncer';

/**
 * The API suites, unchanged, run again with every app they start behind a transaction-pooling
 * PgBouncer 1.18 (their own `db.client` assertions stay direct). Add a suite by its file name.
 */
const API_SUITES = [
  'conversations',
  'messages',
  'idempotency',
  'search',
  'branches',
  'feedback',
  'lifecycle',
  'streaming',
];

/**
 * Statements that touch no table distributed on user_id, so that Citus runs them on the
 * coordinator (or sends them to the shard the transaction is already on): each kind named, with
 * why it is harmless. A statement that matches none of these and touches no distributed table
 * fails the check, so that every new kind of statement is looked at once.
 */
const NOT_ON_DISTRIBUTED_TABLES: Array<{ pattern: RegExp; reason: string }> = [
  {
    pattern: /^(START TRANSACTION|COMMIT|ROLLBACK)$/,
    reason: 'transaction control: Citus follows the transaction to the shard its statements pick',
  },
  {
    pattern: /^SET LOCAL enable_\w+ = off(; SET LOCAL enable_\w+ = off)*$/,
    reason:
      "search's planner settings, transaction-scoped (reach the workers with citus.propagate_set_commands = 'local')",
  },
  {
    pattern: /^SELECT set_config\('lock_timeout', \$1, true\)$/,
    reason:
      'the wait of an Idempotency-Key claim, transaction-scoped (its row, keyed by user_id, is the lock)',
  },
  {
    pattern: /^SELECT name, setting::int AS ms FROM pg_settings WHERE name = ANY\(\$1\)$/,
    reason: "catalog: each new pooled connection checks the server's timeouts",
  },
  {
    pattern: /^SELECT version\(\)$|^SELECT \* FROM current_schema\(\)$/,
    reason: "catalog: TypeORM's questions when its data source starts",
  },
  {
    pattern:
      /^(INSERT INTO cache_replicas |UPDATE cache_replicas |DELETE FROM cache_replicas |SELECT id::text AS id, user_id FROM cache_invalidations WHERE id > \$1 )/,
    reason:
      "the cache fence (src/cache/cache-fence.ts): each replica's heartbeat and its poll of every user's recorded invalidations, in the background and across users by design; small tables that stay on the coordinator under Citus",
  },
  {
    pattern: /^(INSERT INTO event_losses |DELETE FROM event_losses )/,
    reason:
      "lost events (src/events/lost-events.ts): a conversation whose events a replica could not publish, and every replica's relay of them once the bus answers, across users by design; a small table that stays on the coordinator under Citus (docs/scaling.md), like the cache fence's",
  },
  {
    pattern:
      /^(WITH delta AS \(.*\) INSERT INTO agent_daily_conversations |INSERT INTO agent_daily_stats AS s \(day, agent, shard, feedback_up, feedback_down\))/,
    reason:
      "the agents' rollup (agent_daily_stats, agent_daily_conversations), written in the append's and the feedback's transaction: rows of no user, keyed by (day, agent, shard); docs/scaling.md says how it is keyed under Citus so that these writes stay on the user's shard",
  },
];

/**
 * Statements of periodic jobs that look at every user's rows on purpose, each once per turn: on
 * Citus they run on every shard, as a job across users must. Required to be seen, like the above:
 * every app sweeps once at boot.
 */
const ACROSS_USERS_ON_PURPOSE: Array<{ pattern: RegExp; table: string; reason: string }> = [
  {
    pattern:
      /^SELECT user_id, conversation_id, message_id FROM message_streams WHERE written_at <= now\(\) - \$1 \* interval '1 second' ORDER BY written_at LIMIT \$2$/,
    table: 'message_streams',
    reason:
      'StaleStreamSweeper: the streams of every user gone stale (the table holds the streams in flight only); each is then finalised by statements naming its user',
  },
];

describe('the one-shard check', () => {
  it.each([
    ['UPDATE conversations SET title = $3 WHERE id = $1 AND user_id = $2', []],
    ['INSERT INTO "messages"("id", "user_id", "seq") VALUES ($1, $2, $3)', []],
    ['INSERT INTO conversations (id, title) VALUES ($1, $2)', ['conversations']],
    ['DELETE FROM idempotency_keys WHERE created_at < now()', ['idempotency_keys']],
    ['SELECT * FROM "messages" "Message" WHERE (("Message"."conversation_id" = $1))', ['Message']],
    [
      'SELECT 1 FROM messages m WHERE m.user_id = $1 AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id)',
      ['c'],
    ],
    [
      'SELECT 1 FROM messages m WHERE m.user_id = $1 AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id AND c.user_id = m.user_id)',
      [],
    ],
    ['SELECT 1 FROM messages m JOIN conversations c ON c.user_id = m.user_id', ['m', 'c']],
  ])('%s: unpinned %j', (sql, names) => {
    expect(unpinnedReferences(sql).map(({ name }) => name)).toEqual(names);
  });
});

/** What would outlive a transaction on a pooled server connection and reach the next client. */
const SESSION_STATE = [
  /(^|;\s*)(SET|RESET) (?!LOCAL |TRANSACTION )/i,
  /\bset_config\([^)]*,\s*false\s*\)/i,
  /\bpg_(try_)?advisory_lock(_shared)?\(/i,
  /(^|;\s*)(LISTEN|UNLISTEN|PREPARE|DECLARE|LOAD|DISCARD) /i,
  /(^|;\s*)CREATE TEMP(ORARY)? /i,
];

// CI installs pgbouncer (Debian package); elsewhere these run where it is installed.
const available = process.env.CI === 'true' || existsSync(PGBOUNCER_BINARY);

(available ? describe : describe.skip)('behind PgBouncer 1.18 in transaction mode', () => {
  let pgbouncer: TestPgBouncer;
  let recorder: StatementRecorder;

  beforeAll(async () => {
    pgbouncer = await TestPgBouncer.start(testEnvironment().postgres);
    recorder = await StatementRecorder.start(pgbouncer.endpoint);
    connectTestAppsThrough(recorder.endpoint);
  });

  afterAll(async () => {
    connectTestAppsThrough(undefined);
    await recorder?.stop();
    await pgbouncer?.stop();
  });

  for (const suite of API_SUITES) {
    describe(`through PgBouncer: ${suite}`, () => {
      require(`./${suite}.e2e-spec`);
    });
  }

  describe('PgBouncer in transaction mode', () => {
    it('refuses the timeouts as startup parameters, as a direct connection sends them', async () => {
      const { postgres } = testEnvironment();
      const direct = buildDataSourceOptions(
        buildConfig({ POSTGRES_HOST: postgres.host, POSTGRES_USER: postgres.user }).postgres,
      ) as { extra: Record<string, unknown> };
      const client = new Client({
        ...direct.extra,
        ...pgbouncer.endpoint,
        user: postgres.user,
        database: 'postgres',
      });
      await expect(client.connect()).rejects.toThrow(
        /unsupported startup parameter: statement_timeout/,
      );
      await client.end().catch(() => undefined);
    });

    it('ends a request blocked by a row lock at the lock timeout the server applies, with 503', async () => {
      const user = 2201;
      // Lock timeout 1 s (half the statement timeout), set as database defaults, as documented.
      const t = await startTestApp({ POSTGRES_STATEMENT_TIMEOUT_MS: '2000' });
      try {
        const api = await ApiClient.forUsers(t.http, [user]);
        const conversation = await api.createConversation(user);
        await t.db.client.query('BEGIN');
        await t.db.client.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [
          conversation.id,
        ]);
        const started = performance.now();
        const response = await t.http
          .post(`/api/v1/conversations/${conversation.id}/messages`)
          .set(api.auth(user))
          .send({ role: 'user', content: 'x' });
        const elapsed = performance.now() - started;
        await t.db.client.query('ROLLBACK');
        expect(response.status).toBe(503);
        expect(elapsed).toBeGreaterThan(900);
        expect(elapsed).toBeLessThan(1_900);
      } finally {
        await t.close();
      }
    });

    it('does not start on a server that does not apply the timeouts, and says which and where to set them', async () => {
      const { postgres } = testEnvironment();
      const db = await createTestDatabase();
      try {
        await expect(
          startAppOn({
            POSTGRES_HOST: pgbouncer.endpoint.host,
            POSTGRES_PORT: String(pgbouncer.port),
            POSTGRES_USER: postgres.user,
            POSTGRES_DB: db.name,
            POSTGRES_POOLER: 'pgbouncer',
          }),
        ).rejects.toThrow(
          /POSTGRES_POOLER=pgbouncer, but the server's statement_timeout is off \(at most 5000 ms configured\), lock_timeout is off .*: set them as database or role defaults/,
        );
      } finally {
        await db.drop();
      }
    });
  });

  describe('what the API sent through PgBouncer', () => {
    const sent = (): RecordedStatement[] => recorder.statements;
    const text = (statement: RecordedStatement): string =>
      statement.sql.replace(/\s+/g, ' ').trim();

    it('keeps no state in a session: no plain SET, session lock, LISTEN or named prepared statement', () => {
      expect(sent().length).toBeGreaterThan(1000);
      const sessionState = sent()
        .map(text)
        .filter((sql) => SESSION_STATE.some((pattern) => pattern.test(sql)));
      expect(sessionState).toEqual([]);
      expect(sent().filter((statement) => statement.name !== '')).toEqual([]);
    });

    it('pins every statement on a table distributed on user_id to one user (one Citus shard)', () => {
      const unclassified: string[] = [];
      const unpinned: string[] = [];
      const listed = new Set<(typeof ACROSS_USERS_ON_PURPOSE)[number]>();
      for (const sql of new Set(sent().map(text))) {
        if (distributedReferences(sql).length === 0) {
          if (!NOT_ON_DISTRIBUTED_TABLES.some(({ pattern }) => pattern.test(sql)))
            unclassified.push(sql);
          continue;
        }
        for (const reference of unpinnedReferences(sql)) {
          const entry = ACROSS_USERS_ON_PURPOSE.find(
            (candidate) => candidate.table === reference.table && candidate.pattern.test(sql),
          );
          if (entry) listed.add(entry);
          else unpinned.push(`${reference.table} (as ${reference.name}): ${sql}`);
        }
      }
      expect(unclassified).toEqual([]);
      expect(unpinned).toEqual([]);
      expect(
        ACROSS_USERS_ON_PURPOSE.filter((entry) => !listed.has(entry)).map(({ reason }) => reason),
      ).toEqual([]);
    });
  });
});
