import { MigrationInterface, QueryRunner } from 'typeorm';

export class Leads1795711177879 implements MigrationInterface {
  name = 'Leads1795711177879';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "leads" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "entity_id" uuid NOT NULL,
                "first_name" character varying(100) NOT NULL,
                "last_name" character varying(100) NOT NULL,
                "email" character varying(255) NOT NULL,
                "resume_path" character varying(500),
                "resume_content_type" character varying(100),
                "resume_size" integer,
                "resume_file_name" character varying(255),
                "status" character varying(20) NOT NULL DEFAULT 'PENDING',
                "reached_out_at" TIMESTAMP(3) WITH TIME ZONE,
                "notes" character varying(5000),
                CONSTRAINT "uq_leads_entity_email" UNIQUE ("entity_id", "email"),
                CONSTRAINT "PK_cd102ed7a9a4ca7d4d8bfeba406" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_entity_status_created" ON "leads" ("entity_id", "status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_entity_created" ON "leads" ("entity_id", "created_at", "id")
        `);
    await queryRunner.query(`
            ALTER TABLE "leads"
            ADD CONSTRAINT "fk_leads_entity" FOREIGN KEY ("entity_id") REFERENCES "entities"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    // Substring search (first name, last name, email) is served by trigram GIN indexes.
    // Hand-written: TypeORM cannot describe expression/operator-class indexes; the entity
    // declares them with synchronize: false. The search compares lower(column) (email is
    // stored lower-cased), so the same SQL runs unchanged on SQLite.
    await queryRunner.query(`
            CREATE EXTENSION IF NOT EXISTS pg_trgm
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_first_name_trgm" ON "leads" USING gin (lower("first_name") gin_trgm_ops)
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_last_name_trgm" ON "leads" USING gin (lower("last_name") gin_trgm_ops)
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_email_trgm" ON "leads" USING gin ("email" gin_trgm_ops)
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The pg_trgm extension stays: other tables may use it and dropping it needs more rights.
    await queryRunner.query(`
            DROP INDEX "public"."ix_leads_email_trgm"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_leads_last_name_trgm"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_leads_first_name_trgm"
        `);
    await queryRunner.query(`
            ALTER TABLE "leads" DROP CONSTRAINT "fk_leads_entity"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_leads_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_leads_entity_status_created"
        `);
    await queryRunner.query(`
            DROP TABLE "leads"
        `);
  }
}
