import { createTestDatabase, type TestDatabase } from './support/test-database';

type Column = [
  name: string,
  type: string,
  length: number | null,
  nullable: 'YES' | 'NO',
  defaultValue: string | null,
];

// The seed guide's CREATE TABLE statements, column for column (seed-database-guide.ko.md).
const SEED_CONVERSATIONS: Column[] = [
  ['id', 'character varying', 50, 'NO', null],
  ['user_id', 'integer', null, 'NO', null],
  ['title', 'character varying', 200, 'NO', null],
  ['created_at', 'timestamp with time zone', null, 'YES', 'now()'],
  ['updated_at', 'timestamp with time zone', null, 'YES', 'now()'],
  ['message_count', 'integer', null, 'YES', '0'],
  ['last_agent_used', 'character varying', 50, 'YES', null],
  ['is_active', 'boolean', null, 'YES', 'true'],
  ['metadata', 'jsonb', null, 'YES', "'{}'::jsonb"],
];

const SEED_MESSAGES: Column[] = [
  ['id', 'character varying', 50, 'NO', null],
  ['conversation_id', 'character varying', 50, 'NO', null],
  ['role', 'character varying', 20, 'NO', null],
  ['content', 'text', null, 'NO', null],
  ['agent_used', 'character varying', 50, 'YES', null],
  ['routing_info', 'jsonb', null, 'YES', "'{}'::jsonb"],
  ['references', 'jsonb', null, 'YES', "'[]'::jsonb"],
  ['timestamp', 'timestamp with time zone', null, 'YES', 'now()'],
  ['metadata', 'jsonb', null, 'YES', "'{}'::jsonb"],
];

// Ours, beside the seed's and listed in the README: order within a conversation, the owner
// copied from the conversation for per-user search, and what the agent service reports.
const ADDED_MESSAGE_COLUMNS: Column[] = [
  ['user_id', 'integer', null, 'NO', null],
  ['seq', 'integer', null, 'NO', null],
  ['search_terms', 'ARRAY', null, 'NO', "'{}'::text[]"],
  // The tree of branches (api-v1.1.md section 6).
  ['parent_id', 'character varying', 50, 'YES', null],
  ['depth', 'integer', null, 'YES', null],
  ['on_active_branch', 'boolean', null, 'NO', 'true'],
  // Token use of assistant messages (api-v1.1.md section 5).
  ['usage', 'jsonb', null, 'YES', null],
  // Streaming replies (api-v1.1.md section 4).
  ['status', 'character varying', 20, 'NO', "'complete'::character varying"],
];

// Ours: the head of the active branch, and the conversation lifecycle (archive, pin, tags, the
// trash's date), listed in the README.
const ADDED_CONVERSATION_COLUMNS: Column[] = [
  ['head_message_id', 'character varying', 50, 'YES', null],
  ['is_archived', 'boolean', null, 'NO', 'false'],
  ['is_pinned', 'boolean', null, 'NO', 'false'],
  ['tags', 'ARRAY', null, 'NO', "'{}'::text[]"],
  ['tag_keys', 'ARRAY', null, 'NO', "'{}'::text[]"],
  ['deleted_at', 'timestamp with time zone', null, 'YES', null],
];

describe('the migrated schema', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  async function columns(table: string): Promise<Column[]> {
    const { rows } = await db.client.query(
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
      [table],
    );
    return rows.map((row) => [
      row.column_name,
      row.data_type,
      row.character_maximum_length,
      row.is_nullable,
      row.column_default,
    ]);
  }

  it("has the seed's conversations columns (type, length, nullability, default) plus head_message_id and the lifecycle's", async () => {
    expect(sortByName(await columns('conversations'))).toEqual(
      sortByName([...SEED_CONVERSATIONS, ...ADDED_CONVERSATION_COLUMNS]),
    );
  });

  it("has the seed's messages columns plus seq, user_id, search_terms, the tree's, usage and status", async () => {
    expect(sortByName(await columns('messages'))).toEqual(
      sortByName([...SEED_MESSAGES, ...ADDED_MESSAGE_COLUMNS]),
    );
  });

  it('checks the role and references conversations, as the seed does', async () => {
    const { rows } = await db.client.query(
      `SELECT conname, contype, pg_get_constraintdef(oid) AS definition FROM pg_constraint
       WHERE conrelid = 'messages'::regclass ORDER BY conname`,
    );
    const role = rows.find((row) => row.conname === 'chk_messages_role');
    expect(role.definition).toMatch(/'user'.*'assistant'.*'system'/);
    const foreignKey = rows.find((row) => row.contype === 'f');
    expect(foreignKey).toMatchObject({ conname: 'fk_messages_conversation' });
    expect(foreignKey.definition).toBe(
      'FOREIGN KEY (conversation_id) REFERENCES conversations(id)',
    );
    await expect(
      db.client.query(
        `INSERT INTO conversations (id, user_id, title) VALUES ('conv_check', 1, 't');
         INSERT INTO messages (id, conversation_id, user_id, seq, role, content)
         VALUES ('msg_check', 'conv_check', 1, 1, 'robot', 'x')`,
      ),
    ).rejects.toThrow(/chk_messages_role/);
  });

  it("has the seed's named indexes, the ordered-messages index, pg_trgm and btree_gin", async () => {
    const { rows } = await db.client.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('conversations', 'messages')`,
    );
    const definitions = Object.fromEntries(rows.map((row) => [row.indexname, row.indexdef]));
    expect(definitions.idx_conversations_updated_at).toContain('(updated_at)');
    expect(definitions.idx_conversations_active).toContain(
      '(user_id, updated_at, id) WHERE (is_active = true)',
    );
    expect(definitions.idx_messages_agent_used).toContain('(agent_used)');
    expect(definitions.idx_messages_conversation_seq).toMatch(
      /UNIQUE INDEX .* \(conversation_id, seq\)/,
    );
    // Redefined by the search migration: per user, over the Korean-aware terms.
    expect(definitions.idx_messages_content_search).toContain('USING gin (user_id, search_terms)');
    const { rows: extensions } = await db.client.query(
      `SELECT extname FROM pg_extension WHERE extname IN ('pg_trgm', 'btree_gin') ORDER BY 1`,
    );
    expect(extensions.map((row) => row.extname)).toEqual(['btree_gin', 'pg_trgm']);
  });
});

function sortByName(columns: Column[]): Column[] {
  return [...columns].sort((a, b) => a[0].localeCompare(b[0]));
}
