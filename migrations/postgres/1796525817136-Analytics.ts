import { MigrationInterface, QueryRunner } from 'typeorm';

export class Analytics1796525817136 implements MigrationInterface {
  name = 'Analytics1796525817136';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "data_analyses" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "user_id" uuid NOT NULL,
                "entity_id" uuid,
                "name" character varying(200) NOT NULL,
                "analysis_type" character varying(50) NOT NULL,
                "status" character varying(20) NOT NULL DEFAULT 'pending',
                "parameters" jsonb NOT NULL,
                "result" jsonb,
                "error_message" character varying(10000),
                "started_at" TIMESTAMP(3) WITH TIME ZONE,
                "completed_at" TIMESTAMP(3) WITH TIME ZONE,
                CONSTRAINT "PK_2eefbd69c2b47f6a7e52b6a8193" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_data_analyses_user_created" ON "data_analyses" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_data_analyses_user_status_created" ON "data_analyses" ("user_id", "status", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "system_logs" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "service" character varying(100) NOT NULL,
                "level" character varying(10) NOT NULL,
                "message" character varying(10000) NOT NULL,
                "details" jsonb,
                "request_id" character varying(100),
                "user_id" uuid,
                CONSTRAINT "PK_1538e46a6fe685b4513dd8b18d2" PRIMARY KEY ("id", "created_at")
            ) PARTITION BY RANGE ("created_at")
        `);
    // Hand-written: monthly range partitions (system_logs_YYYY_MM) for this and next month,
    // and a default partition that keeps rows outside them (nothing is ever refused);
    // SystemLogPartitions keeps two months ahead and moves such rows out when it creates
    // their month. Cleanup drops whole expired partitions.
    await queryRunner.query(`
            CREATE TABLE "system_logs_default" PARTITION OF "system_logs" DEFAULT
        `);
    await queryRunner.query(`
            DO $$
            DECLARE m date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
            BEGIN
              FOR i IN 0..1 LOOP
                EXECUTE format(
                  'CREATE TABLE %I PARTITION OF system_logs FOR VALUES FROM (%L) TO (%L)',
                  'system_logs_' || to_char(m + make_interval(months => i), 'YYYY_MM'),
                  (m + make_interval(months => i))::timestamp AT TIME ZONE 'UTC',
                  (m + make_interval(months => i + 1))::timestamp AT TIME ZONE 'UTC');
              END LOOP;
            END $$
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_system_logs_created" ON "system_logs" ("created_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_system_logs_service_level_created" ON "system_logs" ("service", "level", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "analysis_files" (
                "id" uuid NOT NULL,
                "analysis_id" uuid NOT NULL,
                "filename" character varying(255) NOT NULL,
                "storage_key" character varying(300) NOT NULL,
                "file_type" character varying(20) NOT NULL,
                "content_type" character varying(100) NOT NULL,
                "size_bytes" integer NOT NULL,
                "sha256" character varying(64) NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                CONSTRAINT "PK_b663f488df94957633389fd590d" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_analysis_files_analysis_created" ON "analysis_files" ("analysis_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "tool_generations" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "user_id" uuid NOT NULL,
                "tool_type" character varying(50) NOT NULL,
                "status" character varying(20) NOT NULL DEFAULT 'pending',
                "config" jsonb NOT NULL,
                "result" jsonb,
                "error_message" character varying(10000),
                CONSTRAINT "PK_6ddc757df91b40318f41d55de91" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tool_generations_user_created" ON "tool_generations" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tool_generations_user_status_type" ON "tool_generations" ("user_id", "status", "tool_type")
        `);
    await queryRunner.query(`
            CREATE TABLE "usage_analytics" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "user_id" uuid NOT NULL,
                "date" date NOT NULL,
                "tasks_created" integer NOT NULL DEFAULT '0',
                "tasks_completed" integer NOT NULL DEFAULT '0',
                "tasks_failed" integer NOT NULL DEFAULT '0',
                "compute_units_consumed" integer NOT NULL DEFAULT '0',
                "api_calls" integer NOT NULL DEFAULT '0',
                CONSTRAINT "uq_usage_analytics_user_date" UNIQUE ("user_id", "date"),
                CONSTRAINT "PK_131894c1088953a2910ebadf8ab" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "data_analyses"
            ADD CONSTRAINT "fk_data_analyses_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "data_analyses"
            ADD CONSTRAINT "fk_data_analyses_entity" FOREIGN KEY ("entity_id") REFERENCES "entities"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "analysis_files"
            ADD CONSTRAINT "fk_analysis_files_analysis" FOREIGN KEY ("analysis_id") REFERENCES "data_analyses"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "tool_generations"
            ADD CONSTRAINT "fk_tool_generations_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "usage_analytics"
            ADD CONSTRAINT "fk_usage_analytics_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "usage_analytics" DROP CONSTRAINT "fk_usage_analytics_user"
        `);
    await queryRunner.query(`
            ALTER TABLE "tool_generations" DROP CONSTRAINT "fk_tool_generations_user"
        `);
    await queryRunner.query(`
            ALTER TABLE "analysis_files" DROP CONSTRAINT "fk_analysis_files_analysis"
        `);
    await queryRunner.query(`
            ALTER TABLE "data_analyses" DROP CONSTRAINT "fk_data_analyses_entity"
        `);
    await queryRunner.query(`
            ALTER TABLE "data_analyses" DROP CONSTRAINT "fk_data_analyses_user"
        `);
    await queryRunner.query(`
            DROP TABLE "usage_analytics"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_tool_generations_user_status_type"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_tool_generations_user_created"
        `);
    await queryRunner.query(`
            DROP TABLE "tool_generations"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_analysis_files_analysis_created"
        `);
    await queryRunner.query(`
            DROP TABLE "analysis_files"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_system_logs_service_level_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_system_logs_created"
        `);
    await queryRunner.query(`
            DROP TABLE "system_logs"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_data_analyses_user_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_data_analyses_user_created"
        `);
    await queryRunner.query(`
            DROP TABLE "data_analyses"
        `);
  }
}
