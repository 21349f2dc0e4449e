import { MigrationInterface, QueryRunner } from 'typeorm';

export class EntityInvitations1796630610724 implements MigrationInterface {
  name = 'EntityInvitations1796630610724';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "entity_invitations" (
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT ('now'::text)::timestamp(3) with time zone,
                "entity_id" uuid NOT NULL,
                "email" character varying(255) NOT NULL,
                "role" character varying(10) NOT NULL,
                "status" character varying(10) NOT NULL DEFAULT 'pending',
                "invited_by" uuid,
                "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "responded_at" TIMESTAMP(3) WITH TIME ZONE,
                CONSTRAINT "PK_207e3c271385719ab715b63838a" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_entity_invitations_email" ON "entity_invitations" ("email", "status")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_entity_invitations_pending" ON "entity_invitations" ("entity_id", "email")
            WHERE status = 'pending'
        `);
    await queryRunner.query(`
            ALTER TABLE "entity_invitations"
            ADD CONSTRAINT "fk_entity_invitations_entity" FOREIGN KEY ("entity_id") REFERENCES "entities"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "entity_invitations"
            ADD CONSTRAINT "fk_entity_invitations_invited_by" FOREIGN KEY ("invited_by") REFERENCES "users"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "entity_invitations" DROP CONSTRAINT "fk_entity_invitations_invited_by"
        `);
    await queryRunner.query(`
            ALTER TABLE "entity_invitations" DROP CONSTRAINT "fk_entity_invitations_entity"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_entity_invitations_pending"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_entity_invitations_email"
        `);
    await queryRunner.query(`
            DROP TABLE "entity_invitations"
        `);
  }
}
