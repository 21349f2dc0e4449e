import { MigrationInterface, QueryRunner } from 'typeorm';

export class Analytics1796525810265 implements MigrationInterface {
  name = 'Analytics1796525810265';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "data_analyses" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "entity_id" varchar(36),
                "name" varchar(200) NOT NULL,
                "analysis_type" varchar(50) NOT NULL,
                "status" varchar(20) NOT NULL DEFAULT ('pending'),
                "parameters" text NOT NULL,
                "result" text,
                "error_message" varchar(10000),
                "started_at" datetime,
                "completed_at" datetime
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_data_analyses_user_created" ON "data_analyses" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_data_analyses_user_status_created" ON "data_analyses" ("user_id", "status", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "analysis_files" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "analysis_id" varchar(36) NOT NULL,
                "filename" varchar(255) NOT NULL,
                "storage_key" varchar(300) NOT NULL,
                "file_type" varchar(20) NOT NULL,
                "content_type" varchar(100) NOT NULL,
                "size_bytes" integer NOT NULL,
                "sha256" varchar(64) NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now')))
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_analysis_files_analysis_created" ON "analysis_files" ("analysis_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "system_logs" (
                "id" varchar(36) NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "service" varchar(100) NOT NULL,
                "level" varchar(10) NOT NULL,
                "message" varchar(10000) NOT NULL,
                "details" text,
                "request_id" varchar(100),
                "user_id" varchar(36),
                PRIMARY KEY ("id", "created_at")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_system_logs_created" ON "system_logs" ("created_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_system_logs_service_level_created" ON "system_logs" ("service", "level", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "tool_generations" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "tool_type" varchar(50) NOT NULL,
                "status" varchar(20) NOT NULL DEFAULT ('pending'),
                "config" text NOT NULL,
                "result" text,
                "error_message" varchar(10000)
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
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "date" date NOT NULL,
                "tasks_created" integer NOT NULL DEFAULT (0),
                "tasks_completed" integer NOT NULL DEFAULT (0),
                "tasks_failed" integer NOT NULL DEFAULT (0),
                "compute_units_consumed" integer NOT NULL DEFAULT (0),
                "api_calls" integer NOT NULL DEFAULT (0),
                CONSTRAINT "uq_usage_analytics_user_date" UNIQUE ("user_id", "date")
            )
        `);
    await queryRunner.query(`
            DROP INDEX "ix_data_analyses_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_data_analyses_user_status_created"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_data_analyses" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "entity_id" varchar(36),
                "name" varchar(200) NOT NULL,
                "analysis_type" varchar(50) NOT NULL,
                "status" varchar(20) NOT NULL DEFAULT ('pending'),
                "parameters" text NOT NULL,
                "result" text,
                "error_message" varchar(10000),
                "started_at" datetime,
                "completed_at" datetime,
                CONSTRAINT "fk_data_analyses_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
                CONSTRAINT "fk_data_analyses_entity" FOREIGN KEY ("entity_id") REFERENCES "entities" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_data_analyses"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "entity_id",
                    "name",
                    "analysis_type",
                    "status",
                    "parameters",
                    "result",
                    "error_message",
                    "started_at",
                    "completed_at"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "entity_id",
                "name",
                "analysis_type",
                "status",
                "parameters",
                "result",
                "error_message",
                "started_at",
                "completed_at"
            FROM "data_analyses"
        `);
    await queryRunner.query(`
            DROP TABLE "data_analyses"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_data_analyses"
                RENAME TO "data_analyses"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_data_analyses_user_created" ON "data_analyses" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_data_analyses_user_status_created" ON "data_analyses" ("user_id", "status", "created_at")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_analysis_files_analysis_created"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_analysis_files" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "analysis_id" varchar(36) NOT NULL,
                "filename" varchar(255) NOT NULL,
                "storage_key" varchar(300) NOT NULL,
                "file_type" varchar(20) NOT NULL,
                "content_type" varchar(100) NOT NULL,
                "size_bytes" integer NOT NULL,
                "sha256" varchar(64) NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                CONSTRAINT "fk_analysis_files_analysis" FOREIGN KEY ("analysis_id") REFERENCES "data_analyses" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_analysis_files"(
                    "id",
                    "analysis_id",
                    "filename",
                    "storage_key",
                    "file_type",
                    "content_type",
                    "size_bytes",
                    "sha256",
                    "created_at"
                )
            SELECT "id",
                "analysis_id",
                "filename",
                "storage_key",
                "file_type",
                "content_type",
                "size_bytes",
                "sha256",
                "created_at"
            FROM "analysis_files"
        `);
    await queryRunner.query(`
            DROP TABLE "analysis_files"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_analysis_files"
                RENAME TO "analysis_files"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_analysis_files_analysis_created" ON "analysis_files" ("analysis_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tool_generations_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tool_generations_user_status_type"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_tool_generations" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "tool_type" varchar(50) NOT NULL,
                "status" varchar(20) NOT NULL DEFAULT ('pending'),
                "config" text NOT NULL,
                "result" text,
                "error_message" varchar(10000),
                CONSTRAINT "fk_tool_generations_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_tool_generations"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "tool_type",
                    "status",
                    "config",
                    "result",
                    "error_message"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "tool_type",
                "status",
                "config",
                "result",
                "error_message"
            FROM "tool_generations"
        `);
    await queryRunner.query(`
            DROP TABLE "tool_generations"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_tool_generations"
                RENAME TO "tool_generations"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tool_generations_user_created" ON "tool_generations" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tool_generations_user_status_type" ON "tool_generations" ("user_id", "status", "tool_type")
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_usage_analytics" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "date" date NOT NULL,
                "tasks_created" integer NOT NULL DEFAULT (0),
                "tasks_completed" integer NOT NULL DEFAULT (0),
                "tasks_failed" integer NOT NULL DEFAULT (0),
                "compute_units_consumed" integer NOT NULL DEFAULT (0),
                "api_calls" integer NOT NULL DEFAULT (0),
                CONSTRAINT "uq_usage_analytics_user_date" UNIQUE ("user_id", "date"),
                CONSTRAINT "fk_usage_analytics_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_usage_analytics"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "date",
                    "tasks_created",
                    "tasks_completed",
                    "tasks_failed",
                    "compute_units_consumed",
                    "api_calls"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "date",
                "tasks_created",
                "tasks_completed",
                "tasks_failed",
                "compute_units_consumed",
                "api_calls"
            FROM "usage_analytics"
        `);
    await queryRunner.query(`
            DROP TABLE "usage_analytics"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_usage_analytics"
                RENAME TO "usage_analytics"
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "usage_analytics"
                RENAME TO "temporary_usage_analytics"
        `);
    await queryRunner.query(`
            CREATE TABLE "usage_analytics" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "date" date NOT NULL,
                "tasks_created" integer NOT NULL DEFAULT (0),
                "tasks_completed" integer NOT NULL DEFAULT (0),
                "tasks_failed" integer NOT NULL DEFAULT (0),
                "compute_units_consumed" integer NOT NULL DEFAULT (0),
                "api_calls" integer NOT NULL DEFAULT (0),
                CONSTRAINT "uq_usage_analytics_user_date" UNIQUE ("user_id", "date")
            )
        `);
    await queryRunner.query(`
            INSERT INTO "usage_analytics"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "date",
                    "tasks_created",
                    "tasks_completed",
                    "tasks_failed",
                    "compute_units_consumed",
                    "api_calls"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "date",
                "tasks_created",
                "tasks_completed",
                "tasks_failed",
                "compute_units_consumed",
                "api_calls"
            FROM "temporary_usage_analytics"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_usage_analytics"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tool_generations_user_status_type"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tool_generations_user_created"
        `);
    await queryRunner.query(`
            ALTER TABLE "tool_generations"
                RENAME TO "temporary_tool_generations"
        `);
    await queryRunner.query(`
            CREATE TABLE "tool_generations" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "tool_type" varchar(50) NOT NULL,
                "status" varchar(20) NOT NULL DEFAULT ('pending'),
                "config" text NOT NULL,
                "result" text,
                "error_message" varchar(10000)
            )
        `);
    await queryRunner.query(`
            INSERT INTO "tool_generations"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "tool_type",
                    "status",
                    "config",
                    "result",
                    "error_message"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "tool_type",
                "status",
                "config",
                "result",
                "error_message"
            FROM "temporary_tool_generations"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_tool_generations"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tool_generations_user_status_type" ON "tool_generations" ("user_id", "status", "tool_type")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tool_generations_user_created" ON "tool_generations" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_analysis_files_analysis_created"
        `);
    await queryRunner.query(`
            ALTER TABLE "analysis_files"
                RENAME TO "temporary_analysis_files"
        `);
    await queryRunner.query(`
            CREATE TABLE "analysis_files" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "analysis_id" varchar(36) NOT NULL,
                "filename" varchar(255) NOT NULL,
                "storage_key" varchar(300) NOT NULL,
                "file_type" varchar(20) NOT NULL,
                "content_type" varchar(100) NOT NULL,
                "size_bytes" integer NOT NULL,
                "sha256" varchar(64) NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now')))
            )
        `);
    await queryRunner.query(`
            INSERT INTO "analysis_files"(
                    "id",
                    "analysis_id",
                    "filename",
                    "storage_key",
                    "file_type",
                    "content_type",
                    "size_bytes",
                    "sha256",
                    "created_at"
                )
            SELECT "id",
                "analysis_id",
                "filename",
                "storage_key",
                "file_type",
                "content_type",
                "size_bytes",
                "sha256",
                "created_at"
            FROM "temporary_analysis_files"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_analysis_files"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_analysis_files_analysis_created" ON "analysis_files" ("analysis_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_data_analyses_user_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_data_analyses_user_created"
        `);
    await queryRunner.query(`
            ALTER TABLE "data_analyses"
                RENAME TO "temporary_data_analyses"
        `);
    await queryRunner.query(`
            CREATE TABLE "data_analyses" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "entity_id" varchar(36),
                "name" varchar(200) NOT NULL,
                "analysis_type" varchar(50) NOT NULL,
                "status" varchar(20) NOT NULL DEFAULT ('pending'),
                "parameters" text NOT NULL,
                "result" text,
                "error_message" varchar(10000),
                "started_at" datetime,
                "completed_at" datetime
            )
        `);
    await queryRunner.query(`
            INSERT INTO "data_analyses"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "entity_id",
                    "name",
                    "analysis_type",
                    "status",
                    "parameters",
                    "result",
                    "error_message",
                    "started_at",
                    "completed_at"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "entity_id",
                "name",
                "analysis_type",
                "status",
                "parameters",
                "result",
                "error_message",
                "started_at",
                "completed_at"
            FROM "temporary_data_analyses"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_data_analyses"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_data_analyses_user_status_created" ON "data_analyses" ("user_id", "status", "created_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_data_analyses_user_created" ON "data_analyses" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP TABLE "usage_analytics"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tool_generations_user_status_type"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tool_generations_user_created"
        `);
    await queryRunner.query(`
            DROP TABLE "tool_generations"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_system_logs_service_level_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_system_logs_created"
        `);
    await queryRunner.query(`
            DROP TABLE "system_logs"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_analysis_files_analysis_created"
        `);
    await queryRunner.query(`
            DROP TABLE "analysis_files"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_data_analyses_user_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_data_analyses_user_created"
        `);
    await queryRunner.query(`
            DROP TABLE "data_analyses"
        `);
  }
}
