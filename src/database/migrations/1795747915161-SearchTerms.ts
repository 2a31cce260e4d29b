import { MigrationInterface, QueryRunner } from 'typeorm';
import { searchTerms } from '../../search/search-terms';

const BACKFILL_BATCH = 1000;

/**
 * Korean substring search: the index terms of each message (computed in the application, where
 * they cost far less than in an SQL function) in `search_terms`, and `idx_messages_content_search`
 * redefined as GIN (user_id, search_terms) with btree_gin, so that a user's search never touches
 * another user's rows. The trigram index it replaces could not serve 1-2 syllable words.
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
  let after = '';
  for (;;) {
    const rows: Array<{ id: string; content: string }> = await queryRunner.query(
      `SELECT id, content FROM messages WHERE id > $1 ORDER BY id LIMIT ${BACKFILL_BATCH}`,
      [after],
    );
    if (rows.length === 0) return;
    const batch = rows.map((row) => ({ id: row.id, terms: searchTerms(row.content) }));
    await queryRunner.query(
      `UPDATE messages m SET search_terms = ARRAY(SELECT jsonb_array_elements_text(v.terms))
             FROM jsonb_to_recordset($1::jsonb) AS v(id text, terms jsonb) WHERE m.id = v.id`,
      [JSON.stringify(batch)],
    );
    after = rows[rows.length - 1].id;
  }
}
