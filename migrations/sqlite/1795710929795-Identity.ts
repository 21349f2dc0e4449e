import { MigrationInterface, QueryRunner } from 'typeorm';

export class Identity1795710929795 implements MigrationInterface {
  name = 'Identity1795710929795';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "users" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "email" varchar(255) NOT NULL,
                "username" varchar(50),
                "first_name" varchar(100),
                "last_name" varchar(100),
                "password_hash" varchar(255),
                "workos_user_id" varchar(255),
                "google_id" varchar(255),
                "is_active" boolean NOT NULL DEFAULT (1),
                "is_admin" boolean NOT NULL DEFAULT (0),
                "last_login_at" datetime
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
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "name" varchar(200) NOT NULL,
                "slug" varchar(220) NOT NULL,
                "is_active" boolean NOT NULL DEFAULT (1)
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_entities_slug" ON "entities" ("slug")
        `);
    await queryRunner.query(`
            CREATE TABLE "user_memberships" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "entity_id" varchar(36) NOT NULL,
                "role" varchar(10) NOT NULL DEFAULT ('member'),
                "is_active" boolean NOT NULL DEFAULT (1),
                CONSTRAINT "uq_user_memberships_user_entity" UNIQUE ("user_id", "entity_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_user_memberships_entity" ON "user_memberships" ("entity_id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_user_memberships_entity"
        `);
    await queryRunner.query(`
            CREATE TABLE "temporary_user_memberships" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "entity_id" varchar(36) NOT NULL,
                "role" varchar(10) NOT NULL DEFAULT ('member'),
                "is_active" boolean NOT NULL DEFAULT (1),
                CONSTRAINT "uq_user_memberships_user_entity" UNIQUE ("user_id", "entity_id"),
                CONSTRAINT "fk_user_memberships_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
                CONSTRAINT "fk_user_memberships_entity" FOREIGN KEY ("entity_id") REFERENCES "entities" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_user_memberships"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "entity_id",
                    "role",
                    "is_active"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "entity_id",
                "role",
                "is_active"
            FROM "user_memberships"
        `);
    await queryRunner.query(`
            DROP TABLE "user_memberships"
        `);
    await queryRunner.query(`
            ALTER TABLE "temporary_user_memberships"
                RENAME TO "user_memberships"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_user_memberships_entity" ON "user_memberships" ("entity_id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "ix_user_memberships_entity"
        `);
    await queryRunner.query(`
            ALTER TABLE "user_memberships"
                RENAME TO "temporary_user_memberships"
        `);
    await queryRunner.query(`
            CREATE TABLE "user_memberships" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "user_id" varchar(36) NOT NULL,
                "entity_id" varchar(36) NOT NULL,
                "role" varchar(10) NOT NULL DEFAULT ('member'),
                "is_active" boolean NOT NULL DEFAULT (1),
                CONSTRAINT "uq_user_memberships_user_entity" UNIQUE ("user_id", "entity_id")
            )
        `);
    await queryRunner.query(`
            INSERT INTO "user_memberships"(
                    "id",
                    "created_at",
                    "updated_at",
                    "user_id",
                    "entity_id",
                    "role",
                    "is_active"
                )
            SELECT "id",
                "created_at",
                "updated_at",
                "user_id",
                "entity_id",
                "role",
                "is_active"
            FROM "temporary_user_memberships"
        `);
    await queryRunner.query(`
            DROP TABLE "temporary_user_memberships"
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_user_memberships_entity" ON "user_memberships" ("entity_id")
        `);
    await queryRunner.query(`
            DROP INDEX "ix_user_memberships_entity"
        `);
    await queryRunner.query(`
            DROP TABLE "user_memberships"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_entities_slug"
        `);
    await queryRunner.query(`
            DROP TABLE "entities"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_users_google_id"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_users_workos_user_id"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_users_username"
        `);
    await queryRunner.query(`
            DROP INDEX "uq_users_email"
        `);
    await queryRunner.query(`
            DROP TABLE "users"
        `);
  }
}
