import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Archive, pin, tags and the trash (`is_active = false`, since when in `deleted_at`). Adding a
 * column with a constant default rewrites nothing, so this is quick on a large table; rows
 * already soft-deleted enter the trash as of their last update (the old delete moved
 * `updated_at`), and a row whose `is_active` is null, which no read ever showed, enters it too.
 */
export class ConversationLifecycle1796120627650 implements MigrationInterface {
  name = 'ConversationLifecycle1796120627650';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD "is_archived" boolean NOT NULL DEFAULT false`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD "is_pinned" boolean NOT NULL DEFAULT false`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD "tags" text array NOT NULL DEFAULT '{}'`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD "tag_keys" text array NOT NULL DEFAULT '{}'`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD "deleted_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `UPDATE "conversations" SET "is_active" = false, "deleted_at" = COALESCE("updated_at", "created_at", now())
       WHERE "is_active" IS NOT TRUE`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_conversations_deleted_at" ON "conversations"  ("deleted_at") WHERE "is_active" = false`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_conversations_trash" ON "conversations"  ("user_id", "deleted_at", "id") WHERE "is_active" = false`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_conversations_pinned" ON "conversations"  ("user_id", "updated_at", "id") WHERE "is_active" = true AND "is_pinned" = true`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_conversations_archived" ON "conversations"  ("user_id", "updated_at", "id") WHERE "is_active" = true AND "is_archived" = true`,
    );
    // Untagged conversations stay out of it, so appends to them never touch a GIN index.
    await queryRunner.query(
      `CREATE INDEX "idx_conversations_tags" ON "conversations" USING gin ("user_id", "tag_keys")
       WHERE "is_active" = true AND "tag_keys" <> '{}'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_conversations_tags"`);
    await queryRunner.query(`DROP INDEX "public"."idx_conversations_archived"`);
    await queryRunner.query(`DROP INDEX "public"."idx_conversations_pinned"`);
    await queryRunner.query(`DROP INDEX "public"."idx_conversations_trash"`);
    await queryRunner.query(`DROP INDEX "public"."idx_conversations_deleted_at"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "deleted_at"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "tag_keys"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "tags"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "is_pinned"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "is_archived"`);
  }
}
