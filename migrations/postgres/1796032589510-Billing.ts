import { MigrationInterface, QueryRunner } from 'typeorm';

export class Billing1796032589510 implements MigrationInterface {
  name = 'Billing1796032589510';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "api_keys" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "user_id" uuid NOT NULL,
                "name" character varying(100) NOT NULL,
                "prefix" character varying(20) NOT NULL,
                "key_hash" character varying(64) NOT NULL,
                "scopes" jsonb NOT NULL,
                "expires_at" TIMESTAMP(3) WITH TIME ZONE,
                "last_used_at" TIMESTAMP(3) WITH TIME ZONE,
                "usage_count" integer NOT NULL DEFAULT '0',
                "revoked_at" TIMESTAMP(3) WITH TIME ZONE,
                CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id")
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
                "id" character varying(50) NOT NULL,
                "name" character varying(100) NOT NULL,
                "monthly_compute_units" integer NOT NULL,
                "max_concurrent_tasks" integer NOT NULL,
                "price_cents" integer NOT NULL,
                "currency" character varying(3) NOT NULL DEFAULT 'USD',
                "lemon_squeezy_variant_id" character varying(100),
                "is_active" boolean NOT NULL DEFAULT true,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                CONSTRAINT "PK_9ab8fe6918451ab3d0a4fb6bb0c" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_subscription_plans_variant" ON "subscription_plans" ("lemon_squeezy_variant_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "user_subscriptions" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "user_id" uuid NOT NULL,
                "plan_id" character varying(50) NOT NULL,
                "status" character varying(20) NOT NULL DEFAULT 'active',
                "current_period_start" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "current_period_end" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "compute_units_used" integer NOT NULL DEFAULT '0',
                "cancel_at_period_end" boolean NOT NULL DEFAULT false,
                "cancelled_at" TIMESTAMP(3) WITH TIME ZONE,
                "lemon_squeezy_subscription_id" character varying(100),
                CONSTRAINT "ck_user_subscriptions_used" CHECK ("compute_units_used" >= 0),
                CONSTRAINT "PK_9e928b0954e51705ab44988812c" PRIMARY KEY ("id")
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
                "id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "subscription_id" uuid NOT NULL,
                "task_id" uuid,
                "delta" integer NOT NULL,
                "reason" character varying(200) NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                CONSTRAINT "PK_82b459bbb1117ddc2a64f468e65" PRIMARY KEY ("id")
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
                "id" uuid NOT NULL,
                "provider" character varying(50) NOT NULL,
                "event_id" character varying(200) NOT NULL,
                "event_name" character varying(100),
                "payload" jsonb,
                "status" character varying(20) NOT NULL,
                "error" character varying(2000),
                "processed_at" TIMESTAMP(3) WITH TIME ZONE,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                CONSTRAINT "uq_webhook_events_provider_event" UNIQUE ("provider", "event_id"),
                CONSTRAINT "PK_4cba37e6a0acb5e1fc49c34ebfd" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_webhook_events_created" ON "webhook_events" ("created_at")
        `);
    await queryRunner.query(`
            ALTER TABLE "api_keys"
            ADD CONSTRAINT "fk_api_keys_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "user_subscriptions"
            ADD CONSTRAINT "fk_user_subscriptions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "user_subscriptions"
            ADD CONSTRAINT "fk_user_subscriptions_plan" FOREIGN KEY ("plan_id") REFERENCES "subscription_plans"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "compute_unit_ledger"
            ADD CONSTRAINT "fk_compute_unit_ledger_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "compute_unit_ledger"
            ADD CONSTRAINT "fk_compute_unit_ledger_subscription" FOREIGN KEY ("subscription_id") REFERENCES "user_subscriptions"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    // The plans, seeded idempotently (a re-run or an existing row changes nothing).
    await queryRunner.query(`
            INSERT INTO "subscription_plans" ("id", "name", "monthly_compute_units", "max_concurrent_tasks", "price_cents", "currency", "is_active")
            VALUES ('free', 'Free', 100, 1, 0, 'USD', true),
                   ('starter', 'Starter', 1000, 3, 1900, 'USD', true),
                   ('professional', 'Professional', 5000, 10, 4900, 'USD', true),
                   ('enterprise', 'Enterprise', 25000, 50, 9900, 'USD', true)
            ON CONFLICT ("id") DO NOTHING
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "compute_unit_ledger" DROP CONSTRAINT "fk_compute_unit_ledger_subscription"
        `);
    await queryRunner.query(`
            ALTER TABLE "compute_unit_ledger" DROP CONSTRAINT "fk_compute_unit_ledger_user"
        `);
    await queryRunner.query(`
            ALTER TABLE "user_subscriptions" DROP CONSTRAINT "fk_user_subscriptions_plan"
        `);
    await queryRunner.query(`
            ALTER TABLE "user_subscriptions" DROP CONSTRAINT "fk_user_subscriptions_user"
        `);
    await queryRunner.query(`
            ALTER TABLE "api_keys" DROP CONSTRAINT "fk_api_keys_user"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_webhook_events_created"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_events"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_compute_unit_ledger_subscription_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_compute_unit_ledger_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_compute_unit_ledger_task"
        `);
    await queryRunner.query(`
            DROP TABLE "compute_unit_ledger"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_user_subscriptions_active_user"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_user_subscriptions_user"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_user_subscriptions_lemon_squeezy"
        `);
    await queryRunner.query(`
            DROP TABLE "user_subscriptions"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_subscription_plans_variant"
        `);
    await queryRunner.query(`
            DROP TABLE "subscription_plans"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_api_keys_user_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_api_keys_key_hash"
        `);
    await queryRunner.query(`
            DROP TABLE "api_keys"
        `);
  }
}
