import { MigrationInterface, QueryRunner } from 'typeorm';

/** Conversations linked per statement (one transaction each): bounds how long a batch holds locks. */
const LINK_BATCH = 200;

/**
 * Messages as a tree of branches (api-v1.1.md section 6). Each message gains `parent_id` (null for
 * a root), `depth` (1 for a root, its parent's + 1: the active branch's length is its head's
 * depth; null for a row not linked yet) and `on_active_branch` (on the path from the root to the conversation's
 * `head_message_id`), kept by the append and head-switch transactions. The partial index on the
 * active messages serves every page of the active branch as one index range, whatever the number
 * of branches; the siblings index counts a message's siblings ("2 / 3").
 *
 * Existing conversations become one branch: each message's parent is the previous one by seq,
 * the head the last one. A row written later by something that knows no tree (an older version,
 * an import) keeps a null depth, "unlinked", and the next append links it (branches.service.ts). On a large live database that is no single UPDATE: the migration runs
 * outside a transaction, commits one batch of conversations per statement and builds its indexes
 * CONCURRENTLY, so that reads and writes go on meanwhile. Every step can run again: after an
 * interruption a rerun finishes the job (the rows left to link are the ones whose depth is null;
 * an index an interrupted CONCURRENTLY build left invalid is dropped and built again).
 */
export class MessageTree1796120293735 implements MigrationInterface {
  name = 'MessageTree1796120293735';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "messages" ADD COLUMN IF NOT EXISTS "parent_id" character varying(50),
         ADD COLUMN IF NOT EXISTS "depth" integer,
         ADD COLUMN IF NOT EXISTS "on_active_branch" boolean NOT NULL DEFAULT true`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD COLUMN IF NOT EXISTS "head_message_id" character varying(50)`,
    );
    // Checked on new rows at once; validated after the backfill without blocking writes.
    await queryRunner.query(
      `DO $$
       BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_constraint
                        WHERE conrelid = 'messages'::regclass AND conname = 'chk_messages_depth') THEN
           ALTER TABLE "messages" ADD CONSTRAINT "chk_messages_depth"
             CHECK ("depth" >= 1 AND ("parent_id" IS NULL) = ("depth" = 1)) NOT VALID;
         END IF;
       END $$`,
    );
    await linkAllConversations(queryRunner);
    await queryRunner.query(`ALTER TABLE "messages" VALIDATE CONSTRAINT "chk_messages_depth"`);
    await createIndexConcurrently(
      queryRunner,
      'idx_messages_active_branch',
      `ON "messages" ("conversation_id", "seq") WHERE "on_active_branch" = true`,
    );
    await createIndexConcurrently(
      queryRunner,
      'idx_messages_siblings',
      `ON "messages" ("conversation_id", "parent_id", "seq")`,
    );
  }

  /** Back to one line per conversation: every message of every branch, in seq order. */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_messages_siblings"`);
    await queryRunner.query(`DROP INDEX "public"."idx_messages_active_branch"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "chk_messages_depth"`);
    await queryRunner.query(
      `ALTER TABLE "messages" DROP COLUMN "on_active_branch", DROP COLUMN "depth", DROP COLUMN "parent_id"`,
    );
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "head_message_id"`);
  }
}

/**
 * Links the unlinked messages of some conversations, in one statement (so one transaction): each
 * one's parent is the previous message by seq and its depth its place, and the head is the last
 * message. Conversations that still have unlinked messages hold a single line (nothing branches
 * before this migration is recorded), so seq order is their branch.
 */
const LINK_CONVERSATIONS = `
WITH todo AS (
  SELECT DISTINCT conversation_id FROM messages
  WHERE conversation_id = ANY($1::varchar[]) AND depth IS NULL
), line AS (
  SELECT m.id, m.conversation_id, m.seq,
         lag(m.id) OVER byseq AS parent_id, row_number() OVER byseq AS depth
  FROM messages m JOIN todo t ON t.conversation_id = m.conversation_id
  WINDOW byseq AS (PARTITION BY m.conversation_id ORDER BY m.seq)
), linked AS (
  UPDATE messages m SET parent_id = l.parent_id, depth = l.depth
  FROM line l
  WHERE m.id = l.id AND m.depth IS NULL
  RETURNING m.id
), heads AS (
  UPDATE conversations c SET head_message_id = h.id
  FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id FROM line
        ORDER BY conversation_id, seq DESC) h
  WHERE c.id = h.conversation_id
  RETURNING c.id
)
SELECT (SELECT count(*) FROM linked)::int AS messages, (SELECT count(*) FROM heads)::int AS heads`;

/** Every conversation, a batch at a time in id order. */
async function linkAllConversations(queryRunner: QueryRunner): Promise<void> {
  let after = '';
  for (;;) {
    const rows: Array<{ id: string }> = await queryRunner.query(
      `SELECT id FROM conversations WHERE id > $1 ORDER BY id LIMIT ${LINK_BATCH}`,
      [after],
    );
    if (rows.length === 0) return;
    const ids = rows.map((row) => row.id);
    await queryRunner.query(LINK_CONVERSATIONS, [ids]);
    after = ids[ids.length - 1];
  }
}

/** Builds an index without blocking writes; an invalid one left by an interrupted build goes first. */
async function createIndexConcurrently(
  queryRunner: QueryRunner,
  name: string,
  definition: string,
): Promise<void> {
  const [leftover]: Array<{ valid: boolean }> = await queryRunner.query(
    `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)`,
    [name],
  );
  if (leftover && !leftover.valid) {
    await queryRunner.query(`DROP INDEX CONCURRENTLY "public"."${name}"`);
  }
  await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "${name}" ${definition}`);
}
