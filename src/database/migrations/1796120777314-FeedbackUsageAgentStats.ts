import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Feedback on assistant messages in its own table, `usage` on messages, and the agents' daily
 * rollup. Assistant messages written before it are counted into the rollup (shard 0: reads sum
 * the shards, so any shard will do); they carry no usage and no feedback yet.
 */
export class FeedbackUsageAgentStats1796120777314 implements MigrationInterface {
  name = 'FeedbackUsageAgentStats1796120777314';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "agent_daily_conversations" ("day" date NOT NULL, "agent" character varying(50) NOT NULL, "conversation_id" character varying(50) NOT NULL, CONSTRAINT "pk_agent_daily_conversations" PRIMARY KEY ("day", "agent", "conversation_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_agent_daily_conversations_conversation" ON "agent_daily_conversations"  ("conversation_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "agent_daily_stats" ("day" date NOT NULL, "agent" character varying(50) NOT NULL, "shard" smallint NOT NULL, "messages" integer NOT NULL DEFAULT '0', "prompt_tokens" bigint NOT NULL DEFAULT '0', "completion_tokens" bigint NOT NULL DEFAULT '0', "feedback_up" integer NOT NULL DEFAULT '0', "feedback_down" integer NOT NULL DEFAULT '0', "latency" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "pk_agent_daily_stats" PRIMARY KEY ("day", "agent", "shard"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "message_feedback" ("message_id" character varying(50) NOT NULL, "user_id" integer NOT NULL, "conversation_id" character varying(50) NOT NULL, "rating" character varying(4) NOT NULL, "comment" text, "reasons" text array NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chk_message_feedback_rating" CHECK ("rating" IN ('up', 'down')), CONSTRAINT "pk_message_feedback" PRIMARY KEY ("message_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_message_feedback_conversation" ON "message_feedback"  ("conversation_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_message_feedback_user" ON "message_feedback"  ("user_id") `,
    );
    await queryRunner.query(`ALTER TABLE "messages" ADD "usage" jsonb`);
    await queryRunner.query(
      `ALTER TABLE "agent_daily_conversations" ADD CONSTRAINT "fk_agent_daily_conversations_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_feedback" ADD CONSTRAINT "fk_message_feedback_message" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `INSERT INTO "agent_daily_stats" ("day", "agent", "shard", "messages")
           SELECT ("timestamp" AT TIME ZONE 'UTC')::date, "agent_used", 0, count(*)
           FROM "messages"
           WHERE "role" = 'assistant' AND "agent_used" IS NOT NULL AND "timestamp" IS NOT NULL
           GROUP BY 1, 2`,
    );
    await queryRunner.query(
      `INSERT INTO "agent_daily_conversations" ("day", "agent", "conversation_id")
           SELECT DISTINCT ("timestamp" AT TIME ZONE 'UTC')::date, "agent_used", "conversation_id"
           FROM "messages"
           WHERE "role" = 'assistant' AND "agent_used" IS NOT NULL AND "timestamp" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "message_feedback" DROP CONSTRAINT "fk_message_feedback_message"`,
    );
    await queryRunner.query(
      `ALTER TABLE "agent_daily_conversations" DROP CONSTRAINT "fk_agent_daily_conversations_conversation"`,
    );
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "usage"`);
    await queryRunner.query(`DROP INDEX "public"."idx_message_feedback_user"`);
    await queryRunner.query(`DROP INDEX "public"."idx_message_feedback_conversation"`);
    await queryRunner.query(`DROP TABLE "message_feedback"`);
    await queryRunner.query(`DROP TABLE "agent_daily_stats"`);
    await queryRunner.query(`DROP INDEX "public"."idx_agent_daily_conversations_conversation"`);
    await queryRunner.query(`DROP TABLE "agent_daily_conversations"`);
  }
}
