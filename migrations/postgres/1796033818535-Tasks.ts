import { MigrationInterface, QueryRunner } from 'typeorm';

export class Tasks1796033818535 implements MigrationInterface {
  name = 'Tasks1796033818535';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "tasks" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "user_id" uuid NOT NULL,
                "entity_id" uuid,
                "name" character varying(200) NOT NULL,
                "config" jsonb NOT NULL,
                "config_version" integer NOT NULL DEFAULT '1',
                "status" character varying(20) NOT NULL DEFAULT 'pending',
                "priority" integer NOT NULL DEFAULT '0',
                "attempts" integer NOT NULL DEFAULT '0',
                "max_attempts" integer NOT NULL DEFAULT '3',
                "claimed_by" character varying(100),
                "lease_expires_at" TIMESTAMP(3) WITH TIME ZONE,
                "lease_seconds" integer,
                "started_at" TIMESTAMP(3) WITH TIME ZONE,
                "completed_at" TIMESTAMP(3) WITH TIME ZONE,
                "error_message" character varying(10000),
                "result" jsonb,
                "compute_units_consumed" integer NOT NULL DEFAULT '0',
                CONSTRAINT "ck_tasks_max_attempts" CHECK (
                    "max_attempts" BETWEEN 1 AND 10
                ),
                CONSTRAINT "ck_tasks_priority" CHECK (
                    "priority" BETWEEN -100 AND 100
                ),
                CONSTRAINT "PK_8d12ff38fcc62aaba2cab748772" PRIMARY KEY ("id")
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
                "id" uuid NOT NULL,
                "task_id" uuid NOT NULL,
                "level" character varying(10) NOT NULL,
                "message" character varying(10000) NOT NULL,
                "metadata" jsonb,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                CONSTRAINT "PK_9754457a29b4ffbb772e8a3039c" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_task_logs_task_created" ON "task_logs" ("task_id", "created_at", "id")
        `);
    await queryRunner.query(`
            ALTER TABLE "tasks"
            ADD CONSTRAINT "fk_tasks_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "tasks"
            ADD CONSTRAINT "fk_tasks_entity" FOREIGN KEY ("entity_id") REFERENCES "entities"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "task_logs"
            ADD CONSTRAINT "fk_task_logs_task" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE NO ACTION
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
            DROP INDEX "public"."ix_tasks_claim_user"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_tasks_claim"
        `);
    await queryRunner.query(`
            ALTER TABLE "task_logs" DROP CONSTRAINT "fk_task_logs_task"
        `);
    await queryRunner.query(`
            ALTER TABLE "tasks" DROP CONSTRAINT "fk_tasks_entity"
        `);
    await queryRunner.query(`
            ALTER TABLE "tasks" DROP CONSTRAINT "fk_tasks_user"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_task_logs_task_created"
        `);
    await queryRunner.query(`
            DROP TABLE "task_logs"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_tasks_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_tasks_user_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_tasks_entity_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_tasks_running_lease"
        `);
    await queryRunner.query(`
            DROP TABLE "tasks"
        `);
  }
}
