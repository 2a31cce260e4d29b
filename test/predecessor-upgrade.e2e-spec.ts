import { Client } from 'pg';
import { searchTerms } from '../src/conversations/messages/search-terms';
import { ApiClient } from './support/api-client';
import {
  fillPredecessor,
  predecessorSchema,
  type MetadataColumn,
  type PredecessorSize,
} from './support/predecessor-database';
import { runCli, startCli } from './support/run-cli';
import { startTestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';
import { testEnvironment } from './support/test-environment';

const { postgres, runId } = testEnvironment();
// About 3,500 messages in 630 conversations of 43 users.
const SIZE: PredecessorSize = { users: 42, conversationsPerUser: 15, maxMessages: 12 };

interface Database {
  name: string;
  client: Client;
}

async function predecessorDatabase(suffix: string, column: MetadataColumn): Promise<Database> {
  const name = `chatbot_test_${runId}_pred_${suffix}`;
  const admin = new Client({ ...postgres, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" LOCALE 'C.UTF-8' TEMPLATE template0`);
  await admin.end();
  const client = new Client({ ...postgres, database: name });
  await client.connect();
  await client.query(predecessorSchema(column));
  await fillPredecessor(client, column, SIZE);
  return { name, client };
}

async function dropDatabase(database: Database): Promise<void> {
  await database.client.end();
  const admin = new Client({ ...postgres, database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`);
  await admin.end();
}

const setupEnv = (database: string): Record<string, string> => ({
  POSTGRES_HOST: postgres.host,
  POSTGRES_PORT: String(postgres.port),
  POSTGRES_USER: postgres.user,
  POSTGRES_PASSWORD: postgres.password,
  POSTGRES_DB: database,
});

/** Every row of both tables, all columns, as text: equal snapshots mean equal contents. */
async function contents(client: Client): Promise<{ conversations: string[]; messages: string[] }> {
  const rows = async (table: string): Promise<string[]> =>
    (await client.query(`SELECT to_jsonb(t)::text AS row FROM ${table} t ORDER BY id`)).rows.map(
      (row) => row.row,
    );
  return { conversations: await rows('conversations'), messages: await rows('messages') };
}

/** The schema as a set: columns, constraints, indexes, triggers and functions, and migrations. */
async function schemaOf(client: Client): Promise<Record<string, string[]>> {
  const list = async (sql: string): Promise<string[]> =>
    (await client.query(sql)).rows.map((row) => Object.values(row).join(' | ')).sort();
  return {
    columns: await list(
      `SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = 'public'`,
    ),
    constraints: await list(
      `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
       WHERE connamespace = 'public'::regnamespace`,
    ),
    indexes: await list(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'`),
    triggers: await list(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal`),
    functions: await list(
      `SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace`,
    ),
    migrations: await list(`SELECT name FROM migrations`),
  };
}

const countsLine = (output: string, prefix: string): string =>
  new RegExp(`${prefix}(\\d+ conversations and \\d+ messages upgraded, .*?\\))`).exec(
    output,
  )?.[1] ?? `no "${prefix}" line in: ${output}`;

describe.each<MetadataColumn>(['extra_metadata', 'metadata'])(
  "npm run db:setup on model-chatbot-fastapi's database (JSONB column %s)",
  (column) => {
    let database: Database;
    let before: { conversations: string[]; messages: string[] };
    let dryRunCounts: string;

    beforeAll(async () => {
      database = await predecessorDatabase(column === 'metadata' ? 'seed' : 'fastapi', column);
      before = await contents(database.client);
    });

    afterAll(async () => {
      await dropDatabase(database);
    });

    it('--dry-run reports the counts and changes nothing', async () => {
      const schemaBefore = await schemaOf(database.client).catch(() => null);
      const result = await runCli('db-setup.ts', ['--dry-run'], setupEnv(database.name));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('model-chatbot-fastapi database found: 631 conversations');
      dryRunCounts = countsLine(result.stdout, 'dry run: ');
      expect(dryRunCounts).toMatch(/^631 conversations and \d{4} messages upgraded/);
      expect(result.stdout).toMatch(/note: \d+ conversations have no first user message/);
      // The upgrade stands in for the first three migrations; later ones would follow it.
      expect(result.stdout).not.toContain('InitialSchema1795746373500');
      expect(await contents(database.client)).toEqual(before);
      // No migrations table, no new column, the triggers still there: nothing was written.
      expect(schemaBefore).toBeNull();
      const { rows } = await database.client.query(
        `SELECT count(*)::int AS n FROM pg_trigger WHERE tgname LIKE 'trigger_%'`,
      );
      expect(rows[0].n).toBe(2);
    });

    it('upgrades it in place: every row kept, seq by timestamp, counters from the rows, fields in their columns', async () => {
      const result = await runCli('db-setup.ts', [], setupEnv(database.name));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(countsLine(result.stdout, 'upgraded in place: ')).toBe(dryRunCounts);
      expect(result.stdout).toMatch(/messages upgraded: [\d,]+ of [\d,]+ \(100%\), [\d,]+\/s/);

      const oldMessages = new Map(
        before.messages
          .map((text) => JSON.parse(text) as Record<string, any>)
          .map((m) => [m.id, m]),
      );
      const oldConversations = new Map(
        before.conversations
          .map((text) => JSON.parse(text) as Record<string, any>)
          .map((c) => [c.id, c]),
      );
      const { rows: messages } = await database.client.query(
        `SELECT m.*, c.user_id AS owner FROM messages m JOIN conversations c ON c.id = m.conversation_id
         ORDER BY m.conversation_id, m.seq`,
      );
      expect(messages).toHaveLength(oldMessages.size);
      const sequences = new Map<string, Array<Record<string, any>>>();
      for (const message of messages) {
        const old = oldMessages.get(message.id)!;
        const oldMetadata = old[column] ?? {};
        expect(message).toMatchObject({
          conversation_id: old.conversation_id,
          role: old.role,
          content: old.content,
          agent_used: old.agent_used,
        });
        expect(message.timestamp.toISOString()).toBe(new Date(old.timestamp).toISOString());
        expect(message.user_id).toBe(message.owner);
        expect(message.search_terms).toEqual(searchTerms(message.content));
        const movesRouting = 'routing_info' in oldMetadata;
        const movesReferences = 'references' in oldMetadata;
        expect(message.routing_info).toEqual(
          movesRouting ? oldMetadata.routing_info : old.routing_info,
        );
        expect(message.references).toEqual(
          movesReferences ? oldMetadata.references : old.references,
        );
        const { routing_info: _routing, references: _references, ...rest } = oldMetadata;
        expect(message.metadata).toEqual(rest);
        sequences.set(message.conversation_id, [
          ...(sequences.get(message.conversation_id) ?? []),
          message,
        ]);
      }
      for (const [, inOrder] of sequences) {
        expect(inOrder.map((m) => m.seq)).toEqual(inOrder.map((_m, index) => index + 1));
        const byTime = [...inOrder].sort(
          (a, b) => a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : 1),
        );
        expect(inOrder.map((m) => m.id)).toEqual(byTime.map((m) => m.id));
      }

      const { rows: conversations } = await database.client.query(
        `SELECT c.*, (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS rows,
                (SELECT max(m.timestamp) FROM messages m WHERE m.conversation_id = c.id) AS newest
         FROM conversations c`,
      );
      expect(conversations).toHaveLength(oldConversations.size);
      let doubled = 0;
      for (const conversation of conversations) {
        const old = oldConversations.get(conversation.id)!;
        if (old.message_count !== conversation.rows) doubled += 1;
        expect(conversation).toMatchObject({
          user_id: old.user_id,
          title: old.title,
          is_active: old.is_active,
          message_count: conversation.rows,
          metadata: old[column],
        });
        expect(conversation.created_at.toISOString()).toBe(new Date(old.created_at).toISOString());
        if (conversation.newest) {
          expect(conversation.updated_at.getTime()).toBe(conversation.newest.getTime());
        }
      }
      // The fixture's corruption was there to be repaired.
      expect(doubled).toBeGreaterThan(400);

      const fresh = await createTestDatabase();
      try {
        expect(await schemaOf(database.client)).toEqual(await schemaOf(fresh.client));
      } finally {
        await fresh.drop();
      }
    });

    it('a second db:setup changes nothing', async () => {
      const upgraded = await contents(database.client);
      const result = await runCli('db-setup.ts', [], setupEnv(database.name));
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain('model-chatbot-fastapi database found');
      expect(result.stdout).toContain('schema already up to date');
      expect(await contents(database.client)).toEqual(upgraded);
    });

    it('reads as one branch: each message follows the previous by seq, the head is the last', async () => {
      const { rows: messages } = await database.client.query(
        `SELECT id, conversation_id, parent_id, depth, seq, on_active_branch FROM messages
         ORDER BY conversation_id, seq`,
      );
      const { rows: conversations } = await database.client.query(
        `SELECT id, head_message_id FROM conversations`,
      );
      const byConversation = new Map<string, Array<Record<string, any>>>();
      for (const message of messages) {
        byConversation.set(message.conversation_id, [
          ...(byConversation.get(message.conversation_id) ?? []),
          message,
        ]);
      }
      for (const conversation of conversations) {
        const line = byConversation.get(conversation.id) ?? [];
        expect(line.map((m) => [m.parent_id, m.depth, m.on_active_branch])).toEqual(
          line.map((_m, index) => [index === 0 ? null : line[index - 1].id, index + 1, true]),
        );
        expect(conversation.head_message_id).toBe(line.at(-1)?.id ?? null);
      }

      const t = await startTestApp(
        {},
        { name: database.name, client: database.client, drop: async () => undefined },
      );
      try {
        const api = await ApiClient.forUsers(t.http, [1]);
        const list = await t.http.get('/api/v1/conversations?limit=100').set(api.auth(1));
        expect(list.body.conversations.length).toBeGreaterThan(0);
        for (const summary of list.body.conversations) {
          const read = await t.http
            .get(`/api/v1/conversations/${summary.id}/messages?limit=200`)
            .set(api.auth(1));
          expect(read.status).toBe(200);
          const stored = byConversation.get(summary.id) ?? [];
          expect(read.body.total_count).toBe(summary.message_count);
          expect(
            read.body.messages.map((m: Record<string, any>) => [
              m.id,
              m.parent_id,
              m.sibling_count,
              m.sibling_index,
            ]),
          ).toEqual(
            stored.map((m, index) => [m.id, index === 0 ? null : stored[index - 1].id, 1, 0]),
          );
          const opened = await t.http.get(`/api/v1/conversations/${summary.id}`).set(api.auth(1));
          expect(opened.body.head_message_id).toBe(stored.at(-1)?.id ?? null);
        }
      } finally {
        await t.close();
      }
    });

    it('serves the whole API on it: list, open, append (counted once), search the old text, delete a legacy id', async () => {
      const t = await startTestApp(
        {},
        {
          name: database.name,
          client: database.client,
          drop: async () => undefined,
        },
      );
      try {
        const api = await ApiClient.forUsers(t.http, [1]);
        const list = await t.http.get('/api/v1/conversations?limit=100').set(api.auth(1));
        expect(list.status).toBe(200);
        const ids = list.body.conversations.map((c: { id: string }) => c.id);
        expect(ids).toContain('sample_conv_001');
        const opened = await t.http.get('/api/v1/conversations/sample_conv_001').set(api.auth(1));
        expect(opened.status).toBe(200);
        expect(
          opened.body.recent_messages.map((m: { id: string; seq: number }) => [m.seq, m.id]),
        ).toEqual([
          [1, 'system_init_1732000000.123456'],
          [2, 'sample_msg_001'],
          [3, 'sample_msg_002'],
        ]);
        expect(opened.body.recent_messages[2].routing_info).toEqual({
          selected_agent: 'consultation_agent',
          complexity: 0.2,
        });
        const appended = await api.append(1, 'sample_conv_001', {
          role: 'user',
          content: '이어지는 질문',
        });
        expect(appended.messages[0].seq).toBe(4);
        expect(appended.conversation.message_count).toBe(4);
        const { rows } = await database.client.query(
          `SELECT message_count FROM conversations WHERE id = 'sample_conv_001'`,
        );
        expect(rows[0].message_count).toBe(4);
        const search = await t.http
          .post('/api/v1/conversations/search')
          .set(api.auth(1))
          .send({ query: '환급' });
        expect(search.body.messages.map((m: { id: string }) => m.id).sort()).toEqual([
          'sample_msg_001',
          'sample_msg_002',
        ]);
        expect(
          (await t.http.delete('/api/v1/conversations/sample_conv_001').set(api.auth(1))).status,
        ).toBe(204);
        expect(
          (await t.http.get('/api/v1/conversations/sample_conv_001').set(api.auth(1))).status,
        ).toBe(404);
      } finally {
        await t.close();
      }
    });
  },
);

describe('an upgrade killed half way through its backfill', () => {
  let interrupted: Database;
  let uninterrupted: Database;

  beforeAll(async () => {
    interrupted = await predecessorDatabase('killed', 'extra_metadata');
    uninterrupted = await predecessorDatabase('whole', 'extra_metadata');
  });

  afterAll(async () => {
    await dropDatabase(interrupted);
    await dropDatabase(uninterrupted);
  });

  it('run again, ends in the same state as one uninterrupted run', async () => {
    const child = startCli('db-setup.ts', ['--batch-size', '2'], setupEnv(interrupted.name));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal ? null : _code)),
    );
    const seqColumn = async (): Promise<{ done: number; total: number } | null> => {
      const { rows } = await interrupted.client.query(
        `SELECT count(*) FILTER (WHERE (to_jsonb(m) ->> 'seq') IS NOT NULL)::int AS done, count(*)::int AS total FROM messages m`,
      );
      return rows[0];
    };
    let progress = await seqColumn();
    const deadline = Date.now() + 60_000;
    while (progress && progress.done === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      progress = await seqColumn();
    }
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    const atKill = await seqColumn();
    expect(atKill!.done).toBeGreaterThan(0);
    expect(atKill!.done).toBeLessThan(atKill!.total);

    const rerun = await runCli('db-setup.ts', [], setupEnv(interrupted.name));
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    const whole = await runCli('db-setup.ts', [], setupEnv(uninterrupted.name));
    expect(whole.code).toBe(0);
    expect(await contents(interrupted.client)).toEqual(await contents(uninterrupted.client));
    expect(await schemaOf(interrupted.client)).toEqual(await schemaOf(uninterrupted.client));
  });
});

describe('db:setup errors name what failed', () => {
  it('a failing migration names itself and its error, not "PostgreSQL is not answering"', async () => {
    const database = `chatbot_test_${runId}_broken`;
    const admin = new Client({ ...postgres, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
    const client = new Client({ ...postgres, database });
    await client.connect();
    try {
      // A migration that will find the database not as it expects: the index it replaces is gone.
      const first = await runCli('db-setup.ts', [], setupEnv(database));
      expect(first.code).toBe(0);
      await client.query(
        `DELETE FROM migrations WHERE name = 'SearchWalkOrder1795749988468';
         DROP INDEX idx_messages_user_timestamp;`,
      );
      const result = await runCli('db-setup.ts', [], setupEnv(database));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('migration SearchWalkOrder1795749988468 failed');
      expect(result.stderr).toContain('idx_messages_user_timestamp');
      expect(result.stderr).not.toContain('PostgreSQL is not answering');
    } finally {
      await client.end();
      const dropper = new Client({ ...postgres, database: 'postgres' });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await dropper.end();
    }
  });

  it('a missing privilege says so, and which migration it stopped', async () => {
    const database = `chatbot_test_${runId}_noperm`;
    const admin = new Client({ ...postgres, database: 'postgres' });
    await admin.connect();
    const role = `chatbot_test_${runId}_reader`;
    try {
      await admin.query(`CREATE DATABASE "${database}"`);
      await admin.query(`CREATE ROLE "${role}" LOGIN`);
      await admin.query(`REVOKE CREATE ON DATABASE "${database}" FROM PUBLIC`);
      const noCreate = await runCli('db-setup.ts', [], {
        ...setupEnv(database),
        POSTGRES_USER: role,
      });
      expect(noCreate.code).toBe(1);
      expect(noCreate.stderr).toMatch(/permission denied/);
      expect(noCreate.stderr).toContain(`migration InitialSchema1795746373500 failed`);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS "${role}"`);
      await admin.end();
    }
  });
});
