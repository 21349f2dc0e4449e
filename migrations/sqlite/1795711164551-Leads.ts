import { MigrationInterface, QueryRunner } from 'typeorm';

export class Leads1795711164551 implements MigrationInterface {
  name = 'Leads1795711164551';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "leads" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "entity_id" varchar(36) NOT NULL,
                "first_name" varchar(100) NOT NULL,
                "last_name" varchar(100) NOT NULL,
                "email" varchar(255) NOT NULL,
                "resume_path" varchar(500),
                "resume_content_type" varchar(100),
                "resume_size" integer,
                "resume_file_name" varchar(255),
                "status" varchar(20) NOT NULL DEFAULT ('PENDING'),
                "reached_out_at" datetime,
                "notes" varchar(5000),
                CONSTRAINT "uq_leads_entity_email" UNIQUE ("entity_id", "email")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_entity_status_created" ON "leads" ("entity_id", "status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_entity_created" ON "leads" ("entity_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_leads_entity_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_leads_entity_created"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_leads" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "entity_id" varchar(36) NOT NULL,
                "first_name" varchar(100) NOT NULL,
                "last_name" varchar(100) NOT NULL,
                "email" varchar(255) NOT NULL,
                "resume_path" varchar(500),
                "resume_content_type" varchar(100),
                "resume_size" integer,
                "resume_file_name" varchar(255),
                "status" varchar(20) NOT NULL DEFAULT ('PENDING'),
                "reached_out_at" datetime,
                "notes" varchar(5000),
                CONSTRAINT "uq_leads_entity_email" UNIQUE ("entity_id", "email"),
                CONSTRAINT "fk_leads_entity" FOREIGN KEY ("entity_id") REFERENCES "entities" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_leads"(
                    "id",
                    "created_at",
                    "updated_at",
                    "entity_id",
                    "first_name",
                    "last_name",
                    "email",
                    "resume_path",
                    "resume_content_type",
                    "resume_size",
                    "resume_file_name",
                    "status",
                    "reached_out_at",
                    "notes"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "entity_id",
                "first_name",
                "last_name",
                "email",
                "resume_path",
                "resume_content_type",
                "resume_size",
                "resume_file_name",
                "status",
                "reached_out_at",
                "notes"
            FROM "leads"
        `);
    await queryRunner.query(`
            DROP TABLE "leads"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_leads"
                RENAME TO "leads"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_entity_status_created" ON "leads" ("entity_id", "status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_entity_created" ON "leads" ("entity_id", "created_at", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "ix_leads_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_leads_entity_status_created"
        `);
    await queryRunner.query(`
            ALTER TABLE "leads"
                RENAME TO "temporary_leads"
        `);
    await queryRunner.query(`
            CREATE TABLE "leads" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "entity_id" varchar(36) NOT NULL,
                "first_name" varchar(100) NOT NULL,
                "last_name" varchar(100) NOT NULL,
                "email" varchar(255) NOT NULL,
                "resume_path" varchar(500),
                "resume_content_type" varchar(100),
                "resume_size" integer,
                "resume_file_name" varchar(255),
                "status" varchar(20) NOT NULL DEFAULT ('PENDING'),
                "reached_out_at" datetime,
                "notes" varchar(5000),
                CONSTRAINT "uq_leads_entity_email" UNIQUE ("entity_id", "email")
            )
        `);
    await queryRunner.query(`
            INSERT INTO "leads"(
                    "id",
                    "created_at",
                    "updated_at",
                    "entity_id",
                    "first_name",
                    "last_name",
                    "email",
                    "resume_path",
                    "resume_content_type",
                    "resume_size",
                    "resume_file_name",
                    "status",
                    "reached_out_at",
                    "notes"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "entity_id",
                "first_name",
                "last_name",
                "email",
                "resume_path",
                "resume_content_type",
                "resume_size",
                "resume_file_name",
                "status",
                "reached_out_at",
                "notes"
            FROM "temporary_leads"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_leads"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_entity_created" ON "leads" ("entity_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_leads_entity_status_created" ON "leads" ("entity_id", "status", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_leads_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_leads_entity_status_created"
        `);
    await queryRunner.query(`
            DROP TABLE "leads"
        `);
  }
}
