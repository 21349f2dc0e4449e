import { MigrationInterface, QueryRunner } from 'typeorm';

// Written as one CREATE TABLE with its foreign key (what the generator produced, minus its
// create-copy-rename round trip for the constraint); migration:check confirms the schema.
export class Sessions1796642728597 implements MigrationInterface {
  name = 'Sessions1796642728597';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "sessions" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "refresh_token_hash" varchar(64) NOT NULL,
                "family_id" varchar(36) NOT NULL,
                "user_agent" varchar(255),
                "ip" varchar(64),
                "last_used_at" datetime,
                "expires_at" datetime NOT NULL,
                "revoked_at" datetime,
                "replaced_by" varchar(36),
                CONSTRAINT "fk_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
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
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "ix_sessions_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_sessions_family"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_sessions_expires"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_sessions_refresh_token_hash"
        `);
    await queryRunner.query(`
            DROP TABLE "sessions"
        `);
  }
}
