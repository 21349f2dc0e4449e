import { MigrationInterface, QueryRunner } from 'typeorm';

export class Crawl1796032210466 implements MigrationInterface {
  name = 'Crawl1796032210466';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "website_crawl_data" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "entity_id" varchar(36) NOT NULL,
                "website_url" varchar(2048) NOT NULL,
                "domain" varchar(255) NOT NULL,
                "company_name" varchar(255),
                "page_title" varchar(500),
                "meta_description" varchar(2000),
                "crawl_status" varchar(20) NOT NULL DEFAULT ('pending'),
                "error_message" varchar(2000),
                "company_info" text,
                "generated_questions" text,
                "test_results" text NOT NULL,
                "seo_score" double precision,
                "created_by" varchar(36) NOT NULL,
                "crawled_at" datetime,
                CONSTRAINT "uq_crawl_entity_url" UNIQUE ("entity_id", "website_url")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_crawl_entity_status_created" ON "website_crawl_data" ("entity_id", "crawl_status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_crawl_entity_created" ON "website_crawl_data" ("entity_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_crawl_entity_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_crawl_entity_created"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_website_crawl_data" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "entity_id" varchar(36) NOT NULL,
                "website_url" varchar(2048) NOT NULL,
                "domain" varchar(255) NOT NULL,
                "company_name" varchar(255),
                "page_title" varchar(500),
                "meta_description" varchar(2000),
                "crawl_status" varchar(20) NOT NULL DEFAULT ('pending'),
                "error_message" varchar(2000),
                "company_info" text,
                "generated_questions" text,
                "test_results" text NOT NULL,
                "seo_score" double precision,
                "created_by" varchar(36) NOT NULL,
                "crawled_at" datetime,
                CONSTRAINT "uq_crawl_entity_url" UNIQUE ("entity_id", "website_url"),
                CONSTRAINT "fk_crawl_entity" FOREIGN KEY ("entity_id") REFERENCES "entities" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_website_crawl_data"(
                    "id",
                    "created_at",
                    "updated_at",
                    "entity_id",
                    "website_url",
                    "domain",
                    "company_name",
                    "page_title",
                    "meta_description",
                    "crawl_status",
                    "error_message",
                    "company_info",
                    "generated_questions",
                    "test_results",
                    "seo_score",
                    "created_by",
                    "crawled_at"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "entity_id",
                "website_url",
                "domain",
                "company_name",
                "page_title",
                "meta_description",
                "crawl_status",
                "error_message",
                "company_info",
                "generated_questions",
                "test_results",
                "seo_score",
                "created_by",
                "crawled_at"
            FROM "website_crawl_data"
        `);
    await queryRunner.query(`
            DROP TABLE "website_crawl_data"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_website_crawl_data"
                RENAME TO "website_crawl_data"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_crawl_entity_status_created" ON "website_crawl_data" ("entity_id", "crawl_status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_crawl_entity_created" ON "website_crawl_data" ("entity_id", "created_at", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "ix_crawl_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_crawl_entity_status_created"
        `);
    await queryRunner.query(`
            ALTER TABLE "website_crawl_data"
                RENAME TO "temporary_website_crawl_data"
        `);
    await queryRunner.query(`
            CREATE TABLE "website_crawl_data" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "entity_id" varchar(36) NOT NULL,
                "website_url" varchar(2048) NOT NULL,
                "domain" varchar(255) NOT NULL,
                "company_name" varchar(255),
                "page_title" varchar(500),
                "meta_description" varchar(2000),
                "crawl_status" varchar(20) NOT NULL DEFAULT ('pending'),
                "error_message" varchar(2000),
                "company_info" text,
                "generated_questions" text,
                "test_results" text NOT NULL,
                "seo_score" double precision,
                "created_by" varchar(36) NOT NULL,
                "crawled_at" datetime,
                CONSTRAINT "uq_crawl_entity_url" UNIQUE ("entity_id", "website_url")
            )
        `);
    await queryRunner.query(`
            INSERT INTO "website_crawl_data"(
                    "id",
                    "created_at",
                    "updated_at",
                    "entity_id",
                    "website_url",
                    "domain",
                    "company_name",
                    "page_title",
                    "meta_description",
                    "crawl_status",
                    "error_message",
                    "company_info",
                    "generated_questions",
                    "test_results",
                    "seo_score",
                    "created_by",
                    "crawled_at"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "entity_id",
                "website_url",
                "domain",
                "company_name",
                "page_title",
                "meta_description",
                "crawl_status",
                "error_message",
                "company_info",
                "generated_questions",
                "test_results",
                "seo_score",
                "created_by",
                "crawled_at"
            FROM "temporary_website_crawl_data"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_website_crawl_data"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_crawl_entity_created" ON "website_crawl_data" ("entity_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_crawl_entity_status_created" ON "website_crawl_data" ("entity_id", "crawl_status", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_crawl_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_crawl_entity_status_created"
        `);
    await queryRunner.query(`
            DROP TABLE "website_crawl_data"
        `);
  }
}
