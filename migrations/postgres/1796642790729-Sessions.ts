import { MigrationInterface, QueryRunner } from 'typeorm';

export class Sessions1796642790729 implements MigrationInterface {
  name = 'Sessions1796642790729';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "sessions" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "user_id" uuid NOT NULL,
                "refresh_token_hash" character varying(64) NOT NULL,
                "family_id" uuid NOT NULL,
                "user_agent" character varying(255),
                "ip" character varying(64),
                "last_used_at" TIMESTAMP(3) WITH TIME ZONE,
                "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "revoked_at" TIMESTAMP(3) WITH TIME ZONE,
                "replaced_by" uuid,
                CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_sessions_refresh_token_hash" ON "sessions" ("refresh_token_hash")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_sessions_expires" ON "sessions" ("expires_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_sessions_family" ON "sessions" ("family_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_sessions_user_created" ON "sessions" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            ALTER TABLE "sessions"
            ADD CONSTRAINT "fk_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "sessions" DROP CONSTRAINT "fk_sessions_user"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_sessions_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_sessions_family"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_sessions_expires"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_sessions_refresh_token_hash"
        `);
    await queryRunner.query(`
            DROP TABLE "sessions"
        `);
  }
}
