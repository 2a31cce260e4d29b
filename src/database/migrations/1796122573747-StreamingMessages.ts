import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Assistant replies that stream: every message gets a `status` (existing rows read `complete`);
 * while one streams, `message_streams` holds its length and the time of its last write and
 * `message_deltas` its text in pieces, so that a delta writes a small row instead of rewriting the
 * whole text (src/conversations/messages/message-streams.repository.ts). At the end the text is
 * written once into `messages.content` and both are deleted. `event_losses` names the
 * conversations whose events a replica could not publish (src/events/lost-events.ts).
 */
export class StreamingMessages1796122573747 implements MigrationInterface {
  name = 'StreamingMessages1796122573747';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // A constant default: PostgreSQL 11+ adds the column without rewriting the table.
    await queryRunner.query(
      `ALTER TABLE "messages" ADD "status" character varying(20) NOT NULL DEFAULT 'complete'`,
    );
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "chk_messages_status" CHECK ("status" IN ('complete', 'streaming', 'failed', 'incomplete'))`,
    );
    await queryRunner.query(
      `CREATE TABLE "message_streams" ("user_id" integer NOT NULL, "message_id" character varying(50) NOT NULL, "conversation_id" character varying(50) NOT NULL, "length" integer NOT NULL DEFAULT 0, "written_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_message_streams" PRIMARY KEY ("user_id", "message_id"), CONSTRAINT "fk_message_streams_message" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE)`,
    );
    // No index on written_at: every delta moves it, and an index on it would make each delta's
    // update insert index entries (no HOT update). The table holds the streams in flight only:
    // the sweep reads it whole.
    await queryRunner.query(
      `CREATE TABLE "message_deltas" ("user_id" integer NOT NULL, "message_id" character varying(50) NOT NULL, "start_offset" integer NOT NULL, "text" text NOT NULL, CONSTRAINT "pk_message_deltas" PRIMARY KEY ("user_id", "message_id", "start_offset"), CONSTRAINT "fk_message_deltas_message" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(
      `CREATE TABLE "event_losses" ("user_id" integer NOT NULL, "conversation_id" character varying(50) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_event_losses" PRIMARY KEY ("user_id", "conversation_id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "event_losses"`);
    await queryRunner.query(`DROP TABLE "message_deltas"`);
    await queryRunner.query(`DROP TABLE "message_streams"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "chk_messages_status"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "status"`);
  }
}
