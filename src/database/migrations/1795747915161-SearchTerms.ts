import { MigrationInterface, QueryRunner } from 'typeorm';
import { CREATE_SEARCH_TERMS_V1 } from './search-terms-v1.sql';

const BACKFILL_BATCH = 1000;

/**
 * Korean substring search: the index terms of each message in `search_terms` (computed by the
 * application at insert; rows older than this migration are backfilled by the frozen SQL of
 * `search_terms_v1`), and `idx_messages_content_search` redefined as GIN (user_id, search_terms)
 * with btree_gin, so that a user's search never touches another user's rows. The trigram index it
 * replaces could not serve 1-2 syllable words.
 */
export class SearchTerms1795747915161 implements MigrationInterface {
  name = 'SearchTerms1795747915161';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // btree_gin is a trusted extension (PostgreSQL 13+): the database owner may create it.
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS "btree_gin"`);
    await queryRunner.query(
      `ALTER TABLE "messages" ADD "search_terms" text array NOT NULL DEFAULT '{}'`,
    );
    await backfill(queryRunner);
    await queryRunner.query(`DROP INDEX "public"."idx_messages_content_search"`);
    await queryRunner.query(
      `CREATE INDEX "idx_messages_content_search" ON "messages" USING gin ("user_id", "search_terms")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_messages_content_search"`);
    await queryRunner.query(
      `CREATE INDEX "idx_messages_content_search" ON "messages" USING gin ("content" gin_trgm_ops)`,
    );
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "search_terms"`);
  }
}

/** Terms for the rows that existed before this migration, a batch at a time in id order. */
async function backfill(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(CREATE_SEARCH_TERMS_V1);
  let after = '';
  for (;;) {
    const { records } = await queryRunner.query(
      `UPDATE messages m SET search_terms = pg_temp.search_terms_v1(m.content)
       FROM (SELECT id FROM messages WHERE id > $1 ORDER BY id LIMIT ${BACKFILL_BATCH}) batch
       WHERE m.id = batch.id
       RETURNING m.id`,
      [after],
      true,
    );
    if (records.length === 0) return;
    after = (records as Array<{ id: string }>).reduce(
      (max, row) => (row.id > max ? row.id : max),
      after,
    );
  }
}
