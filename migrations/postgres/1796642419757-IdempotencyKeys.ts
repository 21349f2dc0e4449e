import { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotencyKeys1796642419757 implements MigrationInterface {
  name = 'IdempotencyKeys1796642419757';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "idempotency_keys" (
                "scope" character varying(120) NOT NULL,
                "key_hash" character varying(64) NOT NULL,
                "fingerprint" character varying(64) NOT NULL,
                "status" character varying(16) NOT NULL,
                "response_status" integer,
                "response" text,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_4d248ee3b30501c1e1754bc9aba" PRIMARY KEY ("scope", "key_hash")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_idempotency_keys_expires" ON "idempotency_keys" ("expires_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."ix_idempotency_keys_expires"
        `);
    await queryRunner.query(`
            DROP TABLE "idempotency_keys"
        `);
  }
}
