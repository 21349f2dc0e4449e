import { MigrationInterface, QueryRunner } from 'typeorm';

// Written as one CREATE TABLE with its foreign keys (what the generator produced, minus its
// create-copy-rename round trip for the constraints); migration:check confirms the schema.
export class EntityInvitations1796630604765 implements MigrationInterface {
  name = 'EntityInvitations1796630604765';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "entity_invitations" (
                "id" varchar(36) PRIMARY KEY NOT NULL,
                "created_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "updated_at" datetime NOT NULL DEFAULT ((strftime('%Y-%m-%d %H:%M:%f', 'now'))),
                "entity_id" varchar(36) NOT NULL,
                "email" varchar(255) NOT NULL,
                "role" varchar(10) NOT NULL,
                "status" varchar(10) NOT NULL DEFAULT ('pending'),
                "invited_by" varchar(36),
                "expires_at" datetime NOT NULL,
                "responded_at" datetime,
                CONSTRAINT "fk_entity_invitations_entity" FOREIGN KEY ("entity_id") REFERENCES "entities" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
                CONSTRAINT "fk_entity_invitations_invited_by" FOREIGN KEY ("invited_by") REFERENCES "users" ("id") ON DELETE
                SET NULL ON UPDATE NO ACTION
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_entity_invitations_email" ON "entity_invitations" ("email", "status")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_entity_invitations_pending" ON "entity_invitations" ("entity_id", "email")
            WHERE status = 'pending'
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "uq_entity_invitations_pending"
        `);
    await queryRunner.query(`
            DROP INDEX "ix_entity_invitations_email"
        `);
    await queryRunner.query(`
            DROP TABLE "entity_invitations"
        `);
  }
}
