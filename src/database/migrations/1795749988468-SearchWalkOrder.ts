import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The search walk reads a user's messages newest first and stops when it has enough: with seq in
 * the index the order (timestamp, seq) is the index's own, so no plan needs to sort them all first.
 */
export class SearchWalkOrder1795749988468 implements MigrationInterface {
  name = 'SearchWalkOrder1795749988468';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_messages_user_timestamp"`);
    await queryRunner.query(
      `CREATE INDEX "idx_messages_user_timestamp" ON "messages"  ("user_id", "timestamp", "seq") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_messages_user_timestamp"`);
    await queryRunner.query(
      `CREATE INDEX "idx_messages_user_timestamp" ON "messages" USING btree ("user_id", "timestamp") `,
    );
  }
}
