import { MigrationInterface, QueryRunner } from 'typeorm';

/** The expression of website_crawl_data.search_vector, exactly as the entity declares it. */
const SEARCH_VECTOR_SQL = `to_tsvector('simple'::regconfig, coalesce("company_name", '') || ' ' || coalesce("page_title", '') || ' ' || coalesce("meta_description", ''))`;

export class Crawl1796032239570 implements MigrationInterface {
  name = 'Crawl1796032239570';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // TypeORM records the generated column's expression in typeorm_metadata; the generator
    // wrote the throwaway database's name here, so the current database is named instead.
    await queryRunner.query(
      `
            INSERT INTO "typeorm_metadata"("database", "schema", "table", "type", "name", "value")
            VALUES (current_database(), current_schema(), $1, $2, $3, $4)
        `,
      ['website_crawl_data', 'GENERATED_COLUMN', 'search_vector', SEARCH_VECTOR_SQL],
    );
    await queryRunner.query(`
            CREATE TABLE "website_crawl_data" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "entity_id" uuid NOT NULL,
                "website_url" character varying(2048) NOT NULL,
                "domain" character varying(255) NOT NULL,
                "company_name" character varying(255),
                "page_title" character varying(500),
                "meta_description" character varying(2000),
                "crawl_status" character varying(20) NOT NULL DEFAULT 'pending',
                "error_message" character varying(2000),
                "company_info" jsonb,
                "generated_questions" jsonb,
                "test_results" jsonb NOT NULL,
                "seo_score" double precision,
                "created_by" uuid NOT NULL,
                "crawled_at" TIMESTAMP(3) WITH TIME ZONE,
                "search_vector" tsvector GENERATED ALWAYS AS (
                    to_tsvector(
                        'simple'::regconfig,
                        coalesce("company_name", '') || ' ' || coalesce("page_title", '') || ' ' || coalesce("meta_description", '')
                    )
                ) STORED,
                CONSTRAINT "uq_crawl_entity_url" UNIQUE ("entity_id", "website_url"),
                CONSTRAINT "PK_bd4b7d8c07fc5c9f2cf1024b8a4" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_crawl_entity_status_created" ON "website_crawl_data" ("entity_id", "crawl_status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_crawl_entity_created" ON "website_crawl_data" ("entity_id", "created_at", "id")
        `);
    await queryRunner.query(`
            ALTER TABLE "website_crawl_data"
            ADD CONSTRAINT "fk_crawl_entity" FOREIGN KEY ("entity_id") REFERENCES "entities"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    // Text search (q): a GIN index on the generated tsvector. Hand-written: TypeORM cannot
    // describe a GIN index; the entity declares it with synchronize: false.
    await queryRunner.query(`
            CREATE INDEX "ix_crawl_search" ON "website_crawl_data" USING gin ("search_vector")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."ix_crawl_search"
        `);
    await queryRunner.query(`
            ALTER TABLE "website_crawl_data" DROP CONSTRAINT "fk_crawl_entity"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_crawl_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_crawl_entity_status_created"
        `);
    await queryRunner.query(`
            DROP TABLE "website_crawl_data"
        `);
    await queryRunner.query(
      `
            DELETE FROM "typeorm_metadata"
            WHERE "type" = $1 AND "name" = $2 AND "database" = current_database()
                AND "schema" = current_schema() AND "table" = $3
        `,
      ['GENERATED_COLUMN', 'search_vector', 'website_crawl_data'],
    );
  }
}
