import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795746373500 implements MigrationInterface {
  name = 'InitialSchema1795746373500';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS "pg_trgm"`);
    await queryRunner.query(
      `CREATE TABLE "conversations" ("id" character varying(50) NOT NULL, "user_id" integer NOT NULL, "title" character varying(200) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE DEFAULT now(), "message_count" integer DEFAULT '0', "last_agent_used" character varying(50), "is_active" boolean DEFAULT true, "metadata" jsonb DEFAULT '{}', CONSTRAINT "pk_conversations" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_conversations_active" ON "conversations"  ("user_id", "updated_at", "id") WHERE "is_active" = true`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_conversations_updated_at" ON "conversations"  ("updated_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "idempotency_keys" ("user_id" integer NOT NULL, "key" character varying(255) NOT NULL, "request_fingerprint" character(64) NOT NULL, "status_code" integer NOT NULL, "response_body" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chk_idempotency_keys_status" CHECK ("status_code" BETWEEN 100 AND 599), CONSTRAINT "pk_idempotency_keys" PRIMARY KEY ("user_id", "key"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_idempotency_keys_created_at" ON "idempotency_keys"  ("created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "messages" ("id" character varying(50) NOT NULL, "conversation_id" character varying(50) NOT NULL, "user_id" integer NOT NULL, "seq" integer NOT NULL, "role" character varying(20) NOT NULL, "content" text NOT NULL, "agent_used" character varying(50), "routing_info" jsonb DEFAULT '{}', "references" jsonb DEFAULT '[]', "timestamp" TIMESTAMP WITH TIME ZONE DEFAULT now(), "metadata" jsonb DEFAULT '{}', CONSTRAINT "chk_messages_seq" CHECK ("seq" >= 1), CONSTRAINT "chk_messages_role" CHECK ("role" IN ('user', 'assistant', 'system')), CONSTRAINT "pk_messages" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_messages_user_timestamp" ON "messages"  ("user_id", "timestamp") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_messages_agent_used" ON "messages"  ("agent_used") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "idx_messages_conversation_seq" ON "messages"  ("conversation_id", "seq") `,
    );
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "fk_messages_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
    // Not declared on the entity (no operator classes there): the search issue may redefine it.
    await queryRunner.query(
      `CREATE INDEX "idx_messages_content_search" ON "messages" USING gin ("content" gin_trgm_ops)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_messages_content_search"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "fk_messages_conversation"`);
    await queryRunner.query(`DROP INDEX "public"."idx_messages_conversation_seq"`);
    await queryRunner.query(`DROP INDEX "public"."idx_messages_agent_used"`);
    await queryRunner.query(`DROP INDEX "public"."idx_messages_user_timestamp"`);
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`DROP INDEX "public"."idx_idempotency_keys_created_at"`);
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
    await queryRunner.query(`DROP INDEX "public"."idx_conversations_updated_at"`);
    await queryRunner.query(`DROP INDEX "public"."idx_conversations_active"`);
    await queryRunner.query(`DROP TABLE "conversations"`);
  }
}
