import { MigrationInterface, QueryRunner } from 'typeorm';

export class Identity1795710936645 implements MigrationInterface {
  name = 'Identity1795710936645';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "users" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "email" character varying(255) NOT NULL,
                "username" character varying(50),
                "first_name" character varying(100),
                "last_name" character varying(100),
                "password_hash" character varying(255),
                "workos_user_id" character varying(255),
                "google_id" character varying(255),
                "is_active" boolean NOT NULL DEFAULT true,
                "is_admin" boolean NOT NULL DEFAULT false,
                "last_login_at" TIMESTAMP(3) WITH TIME ZONE,
                CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_users_username" ON "users" ("username")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_users_workos_user_id" ON "users" ("workos_user_id")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_users_google_id" ON "users" ("google_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "entities" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "name" character varying(200) NOT NULL,
                "slug" character varying(220) NOT NULL,
                "is_active" boolean NOT NULL DEFAULT true,
                CONSTRAINT "PK_8640855ae82083455cbb806173d" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_entities_slug" ON "entities" ("slug")
        `);
    await queryRunner.query(`
            CREATE TABLE "user_memberships" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "user_id" uuid NOT NULL,
                "entity_id" uuid NOT NULL,
                "role" character varying(10) NOT NULL DEFAULT 'member',
                "is_active" boolean NOT NULL DEFAULT true,
                CONSTRAINT "uq_user_memberships_user_entity" UNIQUE ("user_id", "entity_id"),
                CONSTRAINT "PK_5da67bb31a58da5c021ed713860" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_user_memberships_entity" ON "user_memberships" ("entity_id")
        `);
    await queryRunner.query(`
            ALTER TABLE "user_memberships"
            ADD CONSTRAINT "fk_user_memberships_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "user_memberships"
            ADD CONSTRAINT "fk_user_memberships_entity" FOREIGN KEY ("entity_id") REFERENCES "entities"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "user_memberships" DROP CONSTRAINT "fk_user_memberships_entity"
        `);
    await queryRunner.query(`
            ALTER TABLE "user_memberships" DROP CONSTRAINT "fk_user_memberships_user"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_user_memberships_entity"
        `);
    await queryRunner.query(`
            DROP TABLE "user_memberships"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_entities_slug"
        `);
    await queryRunner.query(`
            DROP TABLE "entities"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_users_google_id"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_users_workos_user_id"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_users_username"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_users_email"
        `);
    await queryRunner.query(`
            DROP TABLE "users"
        `);
  }
}
