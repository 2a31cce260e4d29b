/**
 * The upgrade in place of a database that model-chatbot-fastapi created (predecessor.md, "What it
 * left running"): the migration that stands in for InitialSchema, SearchTerms and SearchWalkOrder
 * on such a database, leaving it exactly as those three leave a new one, with every row kept.
 * Plain SQL, frozen like every migration: `npm run db:setup` runs these statements in this order
 * and only decides the batches. Every step can run again: after an interruption a rerun finishes
 * the job, and after that changes nothing.
 */
import { CREATE_SEARCH_TERMS_V1 } from './search-terms-v1.sql';

/** The migrations whose result this upgrade produces: recorded as run when it commits. */
export const UPGRADE_REPLACES = [
  { timestamp: 1795746373500, name: 'InitialSchema1795746373500' },
  { timestamp: 1795747915161, name: 'SearchTerms1795747915161' },
  { timestamp: 1795749988468, name: 'SearchWalkOrder1795749988468' },
] as const;

/**
 * What the database holds, read-only: which kind it is and, for the predecessor's, which name its
 * JSONB column has. `ours` once this service's first migration is recorded.
 */
export const INSPECT = `
SELECT
  to_regclass('conversations') IS NOT NULL AS has_conversations,
  to_regclass('migrations') IS NOT NULL
    AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('migrations') AND attname = 'name')
    AS has_migrations_table,
  (SELECT array_agg(table_name || '.' || column_name ORDER BY 1)
   FROM information_schema.columns
   WHERE table_schema = current_schema() AND table_name IN ('conversations', 'messages')
     AND column_name IN ('metadata', 'extra_metadata')) AS metadata_columns`;

export const RECORDED_MIGRATIONS = `SELECT name FROM migrations`;

/**
 * Counts of what the upgrade will change, read-only and for either name of the JSONB column
 * (`to_jsonb(row)` reads a column that may not exist yet, such as `seq`, as null): the dry run
 * prints them, and they are what an uninterrupted upgrade reports.
 */
export const PLAN = `
WITH meta AS (
  SELECT m.id, m.conversation_id, m.role, m.agent_used, m.routing_info, m."references", m."timestamp",
         COALESCE(to_jsonb(m) -> 'metadata', to_jsonb(m) -> 'extra_metadata') AS metadata,
         (to_jsonb(m) ->> 'seq')::int AS seq, (to_jsonb(m) ->> 'user_id')::int AS user_id,
         row_number() OVER (PARTITION BY m.conversation_id ORDER BY m."timestamp", m.id)::int AS wanted_seq
  FROM messages m
), moves AS (
  SELECT meta.*, c.user_id AS owner,
    jsonb_typeof(meta.metadata -> 'routing_info') = 'object'
      AND COALESCE(meta.routing_info, '{}') = '{}' AS moves_routing,
    jsonb_typeof(meta.metadata -> 'references') = 'array'
      AND COALESCE(meta."references", '[]') = '[]' AS moves_references
  FROM meta JOIN conversations c ON c.id = meta.conversation_id
), facts AS (
  SELECT c.id, c.message_count, c.updated_at, c.last_agent_used,
         count(m.id)::int AS messages, max(m."timestamp") AS newest,
         (SELECT a.agent_used FROM messages a
          WHERE a.conversation_id = c.id AND a.role = 'assistant' AND a.agent_used IS NOT NULL
          ORDER BY a."timestamp" DESC, a.id DESC LIMIT 1) AS agent,
         (SELECT f.role FROM messages f WHERE f.conversation_id = c.id
          ORDER BY f."timestamp", f.id LIMIT 1) AS first_role
  FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
  GROUP BY c.id
)
SELECT
  (SELECT count(*)::int FROM conversations) AS conversations,
  (SELECT count(*)::int FROM moves
   WHERE seq IS DISTINCT FROM wanted_seq OR user_id IS DISTINCT FROM owner
      OR moves_routing OR moves_references) AS messages,
  (SELECT count(*)::int FROM messages) AS messages_total,
  (SELECT count(*)::int FROM facts
   WHERE message_count IS DISTINCT FROM messages
      OR (newest IS NOT NULL AND updated_at IS DISTINCT FROM newest)
      OR (agent IS NOT NULL AND last_agent_used IS DISTINCT FROM agent)) AS counters,
  (SELECT count(*)::int FROM moves WHERE moves_routing) AS routing_info_moved,
  (SELECT count(*)::int FROM moves WHERE moves_references) AS references_moved,
  (SELECT count(*)::int FROM facts WHERE first_role IS DISTINCT FROM 'user' AND first_role IS NOT NULL)
    AS missing_first_message`;

/**
 * Step 1, one transaction: the predecessor's triggers and functions go (its trigger counted every
 * message a second time), `extra_metadata` becomes `metadata`, and the new columns arrive empty.
 */
export const PREPARE = [
  `DROP TRIGGER IF EXISTS trigger_update_conversation_timestamp ON messages`,
  `DROP TRIGGER IF EXISTS trigger_update_conversation_timestamp ON conversations`,
  `DROP TRIGGER IF EXISTS trigger_set_conversation_title ON conversations`,
  `DROP TRIGGER IF EXISTS trigger_set_conversation_title ON messages`,
  `DROP FUNCTION IF EXISTS update_conversation_timestamp()`,
  `DROP FUNCTION IF EXISTS set_conversation_title()`,
  `DROP FUNCTION IF EXISTS generate_conversation_title(text)`,
  `DO $$
   BEGIN
     IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                AND table_name = 'conversations' AND column_name = 'extra_metadata') THEN
       ALTER TABLE conversations RENAME COLUMN extra_metadata TO metadata;
     END IF;
     IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                AND table_name = 'messages' AND column_name = 'extra_metadata') THEN
       ALTER TABLE messages RENAME COLUMN extra_metadata TO metadata;
     END IF;
   END $$`,
  `ALTER TABLE messages ADD COLUMN IF NOT EXISTS user_id integer`,
  `ALTER TABLE messages ADD COLUMN IF NOT EXISTS seq integer`,
  `ALTER TABLE messages ADD COLUMN IF NOT EXISTS search_terms text[] NOT NULL DEFAULT '{}'`,
  // Finds a conversation's messages while backfilling; replaced by this service's own index.
  `CREATE INDEX IF NOT EXISTS idx_messages_upgrade_conversation ON messages (conversation_id)`,
];

/** Once per session, before the backfill: the frozen search-terms function. */
export const BACKFILL_FUNCTIONS = [CREATE_SEARCH_TERMS_V1];

/** Step 2, in batches of conversations ($1 the last id done, $2 the batch size): ids and sizes. */
export const NEXT_BATCH = `
SELECT c.id, (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS messages
FROM conversations c WHERE c.id > $1 ORDER BY c.id LIMIT $2`;

/**
 * Step 2, per batch ($1 the conversation ids), with the next statement in one transaction: each
 * message gets its seq (by timestamp, then id), its owner and its search terms, and
 * `routing_info`/`references` move from the metadata into their own columns when those are empty.
 * Rows already right are not written again. Returns one row per message written.
 */
export const BACKFILL_MESSAGES = `
WITH wanted AS (
  SELECT m.id, c.user_id,
         row_number() OVER (PARTITION BY m.conversation_id ORDER BY m."timestamp", m.id)::int AS seq,
         jsonb_typeof(m.metadata -> 'routing_info') = 'object' AND COALESCE(m.routing_info, '{}') = '{}'
           AS moves_routing,
         jsonb_typeof(m.metadata -> 'references') = 'array' AND COALESCE(m."references", '[]') = '[]'
           AS moves_references
  FROM messages m JOIN conversations c ON c.id = m.conversation_id
  WHERE m.conversation_id = ANY($1::varchar[])
)
UPDATE messages m SET
  seq = w.seq,
  user_id = w.user_id,
  search_terms = pg_temp.search_terms_v1(m.content),
  routing_info = CASE WHEN w.moves_routing THEN m.metadata -> 'routing_info' ELSE m.routing_info END,
  "references" = CASE WHEN w.moves_references THEN m.metadata -> 'references' ELSE m."references" END,
  metadata = m.metadata
    - CASE WHEN w.moves_routing THEN 'routing_info' ELSE '' END
    - CASE WHEN w.moves_references THEN 'references' ELSE '' END
FROM wanted w
WHERE m.id = w.id
  AND (m.seq IS DISTINCT FROM w.seq OR m.user_id IS DISTINCT FROM w.user_id
       OR w.moves_routing OR w.moves_references)
RETURNING w.moves_routing, w.moves_references`;

/**
 * Step 2, per batch ($1 the conversation ids): `message_count` is the number of rows,
 * `updated_at` the newest message's timestamp, `last_agent_used` the agent of the newest assistant
 * message that names one (kept when none does). Returns one row per conversation corrected.
 */
export const RECOUNT_CONVERSATIONS = `
WITH facts AS (
  SELECT c.id, count(m.id)::int AS messages, max(m."timestamp") AS newest,
         (SELECT a.agent_used FROM messages a
          WHERE a.conversation_id = c.id AND a.role = 'assistant' AND a.agent_used IS NOT NULL
          ORDER BY a.seq DESC LIMIT 1) AS agent
  FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
  WHERE c.id = ANY($1::varchar[])
  GROUP BY c.id
)
UPDATE conversations c SET
  message_count = f.messages,
  updated_at = COALESCE(f.newest, c.updated_at),
  last_agent_used = COALESCE(f.agent, c.last_agent_used)
FROM facts f
WHERE c.id = f.id
  AND (c.message_count IS DISTINCT FROM f.messages
       OR (f.newest IS NOT NULL AND c.updated_at IS DISTINCT FROM f.newest)
       OR (f.agent IS NOT NULL AND c.last_agent_used IS DISTINCT FROM f.agent))
RETURNING c.id`;

/**
 * Step 3, one transaction: the schema of InitialSchema, SearchTerms and SearchWalkOrder, under
 * this service's names, and those migrations recorded as run (in the same transaction, so that an
 * interrupted finish leaves the upgrade to do again, never half done). The predecessor's own
 * indexes are superseded by these; other indexes an operator added are left alone.
 */
export const FINISH = [
  `DROP INDEX IF EXISTS idx_conversations_user_id, idx_messages_conversation_id,
     idx_messages_timestamp, idx_messages_conversation_time, idx_routing_info_complexity,
     idx_messages_upgrade_conversation, idx_conversations_updated_at, idx_conversations_active,
     idx_messages_agent_used, idx_messages_content_search`,
  `ALTER TABLE messages ALTER COLUMN user_id SET NOT NULL, ALTER COLUMN seq SET NOT NULL`,
  // Constraints under this service's names: the predecessor's came with generated ones.
  `DO $$
   DECLARE constraint_name text;
   BEGIN
     FOR constraint_name IN
       SELECT conname FROM pg_constraint
       WHERE conrelid = 'messages'::regclass AND contype IN ('c', 'f')
     LOOP
       EXECUTE format('ALTER TABLE messages DROP CONSTRAINT %I', constraint_name);
     END LOOP;
     SELECT conname INTO constraint_name FROM pg_constraint
     WHERE conrelid = 'conversations'::regclass AND contype = 'p';
     EXECUTE format('ALTER TABLE conversations RENAME CONSTRAINT %I TO pk_conversations', constraint_name);
     SELECT conname INTO constraint_name FROM pg_constraint
     WHERE conrelid = 'messages'::regclass AND contype = 'p';
     EXECUTE format('ALTER TABLE messages RENAME CONSTRAINT %I TO pk_messages', constraint_name);
   END $$`,
  `ALTER TABLE messages ADD CONSTRAINT "chk_messages_seq" CHECK ("seq" >= 1)`,
  `ALTER TABLE messages ADD CONSTRAINT "chk_messages_role" CHECK ("role" IN ('user', 'assistant', 'system'))`,
  `ALTER TABLE messages ADD CONSTRAINT "fk_messages_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
  `ALTER TABLE conversations
     ALTER COLUMN created_at SET DEFAULT now(), ALTER COLUMN updated_at SET DEFAULT now(),
     ALTER COLUMN message_count SET DEFAULT '0', ALTER COLUMN is_active SET DEFAULT true,
     ALTER COLUMN metadata SET DEFAULT '{}'`,
  `ALTER TABLE messages
     ALTER COLUMN routing_info SET DEFAULT '{}', ALTER COLUMN "references" SET DEFAULT '[]',
     ALTER COLUMN "timestamp" SET DEFAULT now(), ALTER COLUMN metadata SET DEFAULT '{}'`,
  `CREATE EXTENSION IF NOT EXISTS "pg_trgm"`,
  `CREATE EXTENSION IF NOT EXISTS "btree_gin"`,
  `CREATE INDEX "idx_conversations_active" ON "conversations"  ("user_id", "updated_at", "id") WHERE "is_active" = true`,
  `CREATE INDEX "idx_conversations_updated_at" ON "conversations"  ("updated_at") `,
  `CREATE TABLE IF NOT EXISTS "idempotency_keys" ("user_id" integer NOT NULL, "key" character varying(255) NOT NULL, "request_fingerprint" character(64) NOT NULL, "status_code" integer NOT NULL, "response_body" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chk_idempotency_keys_status" CHECK ("status_code" BETWEEN 100 AND 599), CONSTRAINT "pk_idempotency_keys" PRIMARY KEY ("user_id", "key"))`,
  `CREATE INDEX IF NOT EXISTS "idx_idempotency_keys_created_at" ON "idempotency_keys"  ("created_at") `,
  `CREATE INDEX "idx_messages_user_timestamp" ON "messages"  ("user_id", "timestamp", "seq") `,
  `CREATE INDEX "idx_messages_agent_used" ON "messages"  ("agent_used") `,
  `CREATE UNIQUE INDEX "idx_messages_conversation_seq" ON "messages"  ("conversation_id", "seq") `,
  `CREATE INDEX "idx_messages_content_search" ON "messages" USING gin ("user_id", "search_terms")`,
  `CREATE TABLE IF NOT EXISTS "migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL, CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"))`,
  `INSERT INTO "migrations" ("timestamp", "name") VALUES ${UPGRADE_REPLACES.map(
    ({ timestamp, name }) => `(${timestamp}, '${name}')`,
  ).join(', ')}`,
];
