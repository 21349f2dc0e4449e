import { MigrationInterface, QueryRunner } from 'typeorm';

export class Tasks1796033764112 implements MigrationInterface {
  name = 'Tasks1796033764112';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "tasks" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "entity_id" varchar(36),
                "name" varchar(200) NOT NULL,
                "config" text NOT NULL,
                "config_version" integer NOT NULL DEFAULT (1),
                "status" varchar(20) NOT NULL DEFAULT ('pending'),
                "priority" integer NOT NULL DEFAULT (0),
                "attempts" integer NOT NULL DEFAULT (0),
                "max_attempts" integer NOT NULL DEFAULT (3),
                "claimed_by" varchar(100),
                "lease_expires_at" datetime,
                "lease_seconds" integer,
                "started_at" datetime,
                "completed_at" datetime,
                "error_message" varchar(10000),
                "result" text,
                "compute_units_consumed" integer NOT NULL DEFAULT (0),
                CONSTRAINT "ck_tasks_max_attempts" CHECK ("max_attempts" BETWEEN 1 AND 10),
                CONSTRAINT "ck_tasks_priority" CHECK ("priority" BETWEEN -100 AND 100)
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_running_lease" ON "tasks" ("lease_expires_at")
            WHERE "status" = 'running'
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_entity_created" ON "tasks" ("entity_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_user_status_created" ON "tasks" ("user_id", "status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_user_created" ON "tasks" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "task_logs" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "task_id" varchar(36) NOT NULL,
                "level" varchar(10) NOT NULL,
                "message" varchar(10000) NOT NULL,
                "metadata" text,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now')))
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_task_logs_task_created" ON "task_logs" ("task_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_running_lease"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_user_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_user_created"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_tasks" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "entity_id" varchar(36),
                "name" varchar(200) NOT NULL,
                "config" text NOT NULL,
                "config_version" integer NOT NULL DEFAULT (1),
                "status" varchar(20) NOT NULL DEFAULT ('pending'),
                "priority" integer NOT NULL DEFAULT (0),
                "attempts" integer NOT NULL DEFAULT (0),
                "max_attempts" integer NOT NULL DEFAULT (3),
                "claimed_by" varchar(100),
                "lease_expires_at" datetime,
                "lease_seconds" integer,
                "started_at" datetime,
                "completed_at" datetime,
                "error_message" varchar(10000),
                "result" text,
                "compute_units_consumed" integer NOT NULL DEFAULT (0),
                CONSTRAINT "ck_tasks_max_attempts" CHECK ("max_attempts" BETWEEN 1 AND 10),
                CONSTRAINT "ck_tasks_priority" CHECK ("priority" BETWEEN -100 AND 100),
                CONSTRAINT "fk_tasks_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
                CONSTRAINT "fk_tasks_entity" FOREIGN KEY ("entity_id") REFERENCES "entities" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_tasks"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "entity_id",
                    "name",
                    "config",
                    "config_version",
                    "status",
                    "priority",
                    "attempts",
                    "max_attempts",
                    "claimed_by",
                    "lease_expires_at",
                    "lease_seconds",
                    "started_at",
                    "completed_at",
                    "error_message",
                    "result",
                    "compute_units_consumed"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "entity_id",
                "name",
                "config",
                "config_version",
                "status",
                "priority",
                "attempts",
                "max_attempts",
                "claimed_by",
                "lease_expires_at",
                "lease_seconds",
                "started_at",
                "completed_at",
                "error_message",
                "result",
                "compute_units_consumed"
            FROM "tasks"
        `);
    await queryRunner.query(`
            DROP TABLE "tasks"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_tasks"
                RENAME TO "tasks"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_running_lease" ON "tasks" ("lease_expires_at")
            WHERE "status" = 'running'
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_entity_created" ON "tasks" ("entity_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_user_status_created" ON "tasks" ("user_id", "status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_user_created" ON "tasks" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_task_logs_task_created"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_task_logs" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "task_id" varchar(36) NOT NULL,
                "level" varchar(10) NOT NULL,
                "message" varchar(10000) NOT NULL,
                "metadata" text,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                CONSTRAINT "fk_task_logs_task" FOREIGN KEY ("task_id") REFERENCES "tasks" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_task_logs"(
                    "id",
                    "task_id",
                    "level",
                    "message",
                    "metadata",
                    "created_at"
                )
            SELECT "id",
                "task_id",
                "level",
                "message",
                "metadata",
                "created_at"
            FROM "task_logs"
        `);
    await queryRunner.query(`
            DROP TABLE "task_logs"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_task_logs"
                RENAME TO "task_logs"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_task_logs_task_created" ON "task_logs" ("task_id", "created_at", "id")
        `);
    // The claim queue: pending tasks only, highest priority first, then oldest. Hand-written:
    // TypeORM cannot declare DESC index columns (the entity lists them with synchronize: false).
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_claim" ON "tasks" ("priority" DESC, "created_at", "id") WHERE "status" = 'pending'
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_claim_user" ON "tasks" ("user_id", "priority" DESC, "created_at", "id") WHERE "status" = 'pending'
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "ix_tasks_claim_user"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_claim"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_task_logs_task_created"
        `);
    await queryRunner.query(`
            ALTER TABLE "task_logs"
                RENAME TO "temporary_task_logs"
        `);
    await queryRunner.query(`
            CREATE TABLE "task_logs" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "task_id" varchar(36) NOT NULL,
                "level" varchar(10) NOT NULL,
                "message" varchar(10000) NOT NULL,
                "metadata" text,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now')))
            )
        `);
    await queryRunner.query(`
            INSERT INTO "task_logs"(
                    "id",
                    "task_id",
                    "level",
                    "message",
                    "metadata",
                    "created_at"
                )
            SELECT "id",
                "task_id",
                "level",
                "message",
                "metadata",
                "created_at"
            FROM "temporary_task_logs"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_task_logs"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_task_logs_task_created" ON "task_logs" ("task_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_user_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_running_lease"
        `);
    await queryRunner.query(`
            ALTER TABLE "tasks"
                RENAME TO "temporary_tasks"
        `);
    await queryRunner.query(`
            CREATE TABLE "tasks" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "entity_id" varchar(36),
                "name" varchar(200) NOT NULL,
                "config" text NOT NULL,
                "config_version" integer NOT NULL DEFAULT (1),
                "status" varchar(20) NOT NULL DEFAULT ('pending'),
                "priority" integer NOT NULL DEFAULT (0),
                "attempts" integer NOT NULL DEFAULT (0),
                "max_attempts" integer NOT NULL DEFAULT (3),
                "claimed_by" varchar(100),
                "lease_expires_at" datetime,
                "lease_seconds" integer,
                "started_at" datetime,
                "completed_at" datetime,
                "error_message" varchar(10000),
                "result" text,
                "compute_units_consumed" integer NOT NULL DEFAULT (0),
                CONSTRAINT "ck_tasks_max_attempts" CHECK ("max_attempts" BETWEEN 1 AND 10),
                CONSTRAINT "ck_tasks_priority" CHECK ("priority" BETWEEN -100 AND 100)
            )
        `);
    await queryRunner.query(`
            INSERT INTO "tasks"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "entity_id",
                    "name",
                    "config",
                    "config_version",
                    "status",
                    "priority",
                    "attempts",
                    "max_attempts",
                    "claimed_by",
                    "lease_expires_at",
                    "lease_seconds",
                    "started_at",
                    "completed_at",
                    "error_message",
                    "result",
                    "compute_units_consumed"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "entity_id",
                "name",
                "config",
                "config_version",
                "status",
                "priority",
                "attempts",
                "max_attempts",
                "claimed_by",
                "lease_expires_at",
                "lease_seconds",
                "started_at",
                "completed_at",
                "error_message",
                "result",
                "compute_units_consumed"
            FROM "temporary_tasks"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_tasks"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_user_created" ON "tasks" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_user_status_created" ON "tasks" ("user_id", "status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_entity_created" ON "tasks" ("entity_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_tasks_running_lease" ON "tasks" ("lease_expires_at")
            WHERE "status" = 'running'
        `);
    await queryRunner.query(`
            DROP INDEX "ix_task_logs_task_created"
        `);
    await queryRunner.query(`
            DROP TABLE "task_logs"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_user_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_tasks_running_lease"
        `);
    await queryRunner.query(`
            DROP TABLE "tasks"
        `);
  }
}
