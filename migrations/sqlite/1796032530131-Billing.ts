import { MigrationInterface, QueryRunner } from 'typeorm';

export class Billing1796032530131 implements MigrationInterface {
  name = 'Billing1796032530131';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "api_keys" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "name" varchar(100) NOT NULL,
                "prefix" varchar(20) NOT NULL,
                "key_hash" varchar(64) NOT NULL,
                "scopes" text NOT NULL,
                "expires_at" datetime,
                "last_used_at" datetime,
                "usage_count" integer NOT NULL DEFAULT (0),
                "revoked_at" datetime
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys" ("key_hash")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_api_keys_user_created" ON "api_keys" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "subscription_plans" (
                "id" varchar(50) PRIMARY KEY NOT NULL,
                "name" varchar(100) NOT NULL,
                "monthly_compute_units" integer NOT NULL,
                "max_concurrent_tasks" integer NOT NULL,
                "price_cents" integer NOT NULL,
                "currency" varchar(3) NOT NULL DEFAULT ('USD'),
                "lemon_squeezy_variant_id" varchar(100),
                "is_active" boolean NOT NULL DEFAULT (1),
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now')))
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_subscription_plans_variant" ON "subscription_plans" ("lemon_squeezy_variant_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "user_subscriptions" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "plan_id" varchar(50) NOT NULL,
                "status" varchar(20) NOT NULL DEFAULT ('active'),
                "current_period_start" datetime NOT NULL,
                "current_period_end" datetime NOT NULL,
                "compute_units_used" integer NOT NULL DEFAULT (0),
                "cancel_at_period_end" boolean NOT NULL DEFAULT (0),
                "cancelled_at" datetime,
                "lemon_squeezy_subscription_id" varchar(100),
                CONSTRAINT "ck_user_subscriptions_used" CHECK ("compute_units_used" >= 0)
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_user_subscriptions_lemon_squeezy" ON "user_subscriptions" ("lemon_squeezy_subscription_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_user_subscriptions_user" ON "user_subscriptions" ("user_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_user_subscriptions_active_user" ON "user_subscriptions" ("user_id")
            WHERE "status" = 'active'
        `);
    await queryRunner.query(`
            CREATE TABLE "compute_unit_ledger" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "user_id" varchar(36) NOT NULL,
                "subscription_id" varchar(36) NOT NULL,
                "task_id" varchar(36),
                "delta" integer NOT NULL,
                "reason" varchar(200) NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now')))
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_compute_unit_ledger_task" ON "compute_unit_ledger" ("task_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_compute_unit_ledger_user_created" ON "compute_unit_ledger" ("user_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_compute_unit_ledger_subscription_created" ON "compute_unit_ledger" ("subscription_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "webhook_events" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "provider" varchar(50) NOT NULL,
                "event_id" varchar(200) NOT NULL,
                "event_name" varchar(100),
                "payload" text,
                "status" varchar(20) NOT NULL,
                "error" varchar(2000),
                "processed_at" datetime,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                CONSTRAINT "uq_webhook_events_provider_event" UNIQUE ("provider", "event_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_webhook_events_created" ON "webhook_events" ("created_at")
        `);
    await queryRunner.query(`
            DROP INDEX "uq_api_keys_key_hash"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_api_keys_user_created"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_api_keys" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "name" varchar(100) NOT NULL,
                "prefix" varchar(20) NOT NULL,
                "key_hash" varchar(64) NOT NULL,
                "scopes" text NOT NULL,
                "expires_at" datetime,
                "last_used_at" datetime,
                "usage_count" integer NOT NULL DEFAULT (0),
                "revoked_at" datetime,
                CONSTRAINT "fk_api_keys_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_api_keys"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "name",
                    "prefix",
                    "key_hash",
                    "scopes",
                    "expires_at",
                    "last_used_at",
                    "usage_count",
                    "revoked_at"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "name",
                "prefix",
                "key_hash",
                "scopes",
                "expires_at",
                "last_used_at",
                "usage_count",
                "revoked_at"
            FROM "api_keys"
        `);
    await queryRunner.query(`
            DROP TABLE "api_keys"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_api_keys"
                RENAME TO "api_keys"
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys" ("key_hash")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_api_keys_user_created" ON "api_keys" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            DROP INDEX "uq_user_subscriptions_lemon_squeezy"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_user_subscriptions_user"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_user_subscriptions_active_user"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_user_subscriptions" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "plan_id" varchar(50) NOT NULL,
                "status" varchar(20) NOT NULL DEFAULT ('active'),
                "current_period_start" datetime NOT NULL,
                "current_period_end" datetime NOT NULL,
                "compute_units_used" integer NOT NULL DEFAULT (0),
                "cancel_at_period_end" boolean NOT NULL DEFAULT (0),
                "cancelled_at" datetime,
                "lemon_squeezy_subscription_id" varchar(100),
                CONSTRAINT "ck_user_subscriptions_used" CHECK ("compute_units_used" >= 0),
                CONSTRAINT "fk_user_subscriptions_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
                CONSTRAINT "fk_user_subscriptions_plan" FOREIGN KEY ("plan_id") REFERENCES "subscription_plans" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_user_subscriptions"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "plan_id",
                    "status",
                    "current_period_start",
                    "current_period_end",
                    "compute_units_used",
                    "cancel_at_period_end",
                    "cancelled_at",
                    "lemon_squeezy_subscription_id"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "plan_id",
                "status",
                "current_period_start",
                "current_period_end",
                "compute_units_used",
                "cancel_at_period_end",
                "cancelled_at",
                "lemon_squeezy_subscription_id"
            FROM "user_subscriptions"
        `);
    await queryRunner.query(`
            DROP TABLE "user_subscriptions"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_user_subscriptions"
                RENAME TO "user_subscriptions"
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_user_subscriptions_lemon_squeezy" ON "user_subscriptions" ("lemon_squeezy_subscription_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_user_subscriptions_user" ON "user_subscriptions" ("user_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_user_subscriptions_active_user" ON "user_subscriptions" ("user_id")
            WHERE "status" = 'active'
        `);
    await queryRunner.query(`
            DROP INDEX "ix_compute_unit_ledger_task"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_compute_unit_ledger_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_compute_unit_ledger_subscription_created"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_compute_unit_ledger" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "user_id" varchar(36) NOT NULL,
                "subscription_id" varchar(36) NOT NULL,
                "task_id" varchar(36),
                "delta" integer NOT NULL,
                "reason" varchar(200) NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                CONSTRAINT "fk_compute_unit_ledger_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
                CONSTRAINT "fk_compute_unit_ledger_subscription" FOREIGN KEY ("subscription_id") REFERENCES "user_subscriptions" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_compute_unit_ledger"(
                    "id",
                    "user_id",
                    "subscription_id",
                    "task_id",
                    "delta",
                    "reason",
                    "created_at"
                )
            SELECT "id",
                "user_id",
                "subscription_id",
                "task_id",
                "delta",
                "reason",
                "created_at"
            FROM "compute_unit_ledger"
        `);
    await queryRunner.query(`
            DROP TABLE "compute_unit_ledger"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_compute_unit_ledger"
                RENAME TO "compute_unit_ledger"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_compute_unit_ledger_task" ON "compute_unit_ledger" ("task_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_compute_unit_ledger_user_created" ON "compute_unit_ledger" ("user_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_compute_unit_ledger_subscription_created" ON "compute_unit_ledger" ("subscription_id", "created_at", "id")
        `);
    // The plans, seeded idempotently (a re-run or an existing row changes nothing).
    await queryRunner.query(`
            INSERT INTO "subscription_plans" ("id", "name", "monthly_compute_units", "max_concurrent_tasks", "price_cents", "currency", "is_active")
            VALUES ('free', 'Free', 100, 1, 0, 'USD', 1),
                   ('starter', 'Starter', 1000, 3, 1900, 'USD', 1),
                   ('professional', 'Professional', 5000, 10, 4900, 'USD', 1),
                   ('enterprise', 'Enterprise', 25000, 50, 9900, 'USD', 1)
            ON CONFLICT ("id") DO NOTHING
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "ix_compute_unit_ledger_subscription_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_compute_unit_ledger_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_compute_unit_ledger_task"
        `);
    await queryRunner.query(`
            ALTER TABLE "compute_unit_ledger"
                RENAME TO "temporary_compute_unit_ledger"
        `);
    await queryRunner.query(`
            CREATE TABLE "compute_unit_ledger" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "user_id" varchar(36) NOT NULL,
                "subscription_id" varchar(36) NOT NULL,
                "task_id" varchar(36),
                "delta" integer NOT NULL,
                "reason" varchar(200) NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now')))
            )
        `);
    await queryRunner.query(`
            INSERT INTO "compute_unit_ledger"(
                    "id",
                    "user_id",
                    "subscription_id",
                    "task_id",
                    "delta",
                    "reason",
                    "created_at"
                )
            SELECT "id",
                "user_id",
                "subscription_id",
                "task_id",
                "delta",
                "reason",
                "created_at"
            FROM "temporary_compute_unit_ledger"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_compute_unit_ledger"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_compute_unit_ledger_subscription_created" ON "compute_unit_ledger" ("subscription_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_compute_unit_ledger_user_created" ON "compute_unit_ledger" ("user_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_compute_unit_ledger_task" ON "compute_unit_ledger" ("task_id")
        `);
    await queryRunner.query(`
            DROP INDEX "uq_user_subscriptions_active_user"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_user_subscriptions_user"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_user_subscriptions_lemon_squeezy"
        `);
    await queryRunner.query(`
            ALTER TABLE "user_subscriptions"
                RENAME TO "temporary_user_subscriptions"
        `);
    await queryRunner.query(`
            CREATE TABLE "user_subscriptions" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "plan_id" varchar(50) NOT NULL,
                "status" varchar(20) NOT NULL DEFAULT ('active'),
                "current_period_start" datetime NOT NULL,
                "current_period_end" datetime NOT NULL,
                "compute_units_used" integer NOT NULL DEFAULT (0),
                "cancel_at_period_end" boolean NOT NULL DEFAULT (0),
                "cancelled_at" datetime,
                "lemon_squeezy_subscription_id" varchar(100),
                CONSTRAINT "ck_user_subscriptions_used" CHECK ("compute_units_used" >= 0)
            )
        `);
    await queryRunner.query(`
            INSERT INTO "user_subscriptions"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "plan_id",
                    "status",
                    "current_period_start",
                    "current_period_end",
                    "compute_units_used",
                    "cancel_at_period_end",
                    "cancelled_at",
                    "lemon_squeezy_subscription_id"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "plan_id",
                "status",
                "current_period_start",
                "current_period_end",
                "compute_units_used",
                "cancel_at_period_end",
                "cancelled_at",
                "lemon_squeezy_subscription_id"
            FROM "temporary_user_subscriptions"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_user_subscriptions"
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_user_subscriptions_active_user" ON "user_subscriptions" ("user_id")
            WHERE "status" = 'active'
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_user_subscriptions_user" ON "user_subscriptions" ("user_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_user_subscriptions_lemon_squeezy" ON "user_subscriptions" ("lemon_squeezy_subscription_id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_api_keys_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_api_keys_key_hash"
        `);
    await queryRunner.query(`
            ALTER TABLE "api_keys"
                RENAME TO "temporary_api_keys"
        `);
    await queryRunner.query(`
            CREATE TABLE "api_keys" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "name" varchar(100) NOT NULL,
                "prefix" varchar(20) NOT NULL,
                "key_hash" varchar(64) NOT NULL,
                "scopes" text NOT NULL,
                "expires_at" datetime,
                "last_used_at" datetime,
                "usage_count" integer NOT NULL DEFAULT (0),
                "revoked_at" datetime
            )
        `);
    await queryRunner.query(`
            INSERT INTO "api_keys"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "name",
                    "prefix",
                    "key_hash",
                    "scopes",
                    "expires_at",
                    "last_used_at",
                    "usage_count",
                    "revoked_at"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "name",
                "prefix",
                "key_hash",
                "scopes",
                "expires_at",
                "last_used_at",
                "usage_count",
                "revoked_at"
            FROM "temporary_api_keys"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_api_keys"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_api_keys_user_created" ON "api_keys" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys" ("key_hash")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_webhook_events_created"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_events"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_compute_unit_ledger_subscription_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_compute_unit_ledger_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_compute_unit_ledger_task"
        `);
    await queryRunner.query(`
            DROP TABLE "compute_unit_ledger"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_user_subscriptions_active_user"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_user_subscriptions_user"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_user_subscriptions_lemon_squeezy"
        `);
    await queryRunner.query(`
            DROP TABLE "user_subscriptions"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_subscription_plans_variant"
        `);
    await queryRunner.query(`
            DROP TABLE "subscription_plans"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_api_keys_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_api_keys_key_hash"
        `);
    await queryRunner.query(`
            DROP TABLE "api_keys"
        `);
  }
}
