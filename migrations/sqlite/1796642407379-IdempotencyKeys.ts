import { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotencyKeys1796642407379 implements MigrationInterface {
  name = 'IdempotencyKeys1796642407379';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "idempotency_keys" (
                "scope" varchar(120) NOT NULL,
                "key_hash" varchar(64) NOT NULL,
                "fingerprint" varchar(64) NOT NULL,
                "status" varchar(16) NOT NULL,
                "response_status" integer,
                "response" text,
                "created_at" datetime NOT NULL,
                "expires_at" datetime NOT NULL,
                PRIMARY KEY ("scope", "key_hash")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_idempotency_keys_expires" ON "idempotency_keys" ("expires_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "ix_idempotency_keys_expires"
        `);
    await queryRunner.query(`
            DROP TABLE "idempotency_keys"
        `);
  }
}
