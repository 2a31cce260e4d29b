import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What keeps a write visible on every replica when its own replica could not reach Redis: the
 * invalidations such writes record, and each replica's lease with how far it has read them
 * (src/cache/cache-fence.ts).
 */
export class CacheFence1796121193514 implements MigrationInterface {
  name = 'CacheFence1796121193514';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "cache_invalidations" ("id" bigserial NOT NULL, "user_id" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_cache_invalidations" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_cache_invalidations_created_at" ON "cache_invalidations" ("created_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "cache_replicas" ("replica_id" character varying(64) NOT NULL, "serving" boolean NOT NULL, "seen_invalidation" bigint NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_cache_replicas" PRIMARY KEY ("replica_id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "cache_replicas"`);
    await queryRunner.query(`DROP TABLE "cache_invalidations"`);
  }
}
