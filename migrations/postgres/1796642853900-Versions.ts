import { MigrationInterface, QueryRunner } from 'typeorm';

export class Versions1796642853900 implements MigrationInterface {
  name = 'Versions1796642853900';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "entities"
            ADD "version" integer NOT NULL DEFAULT '1'
        `);
    await queryRunner.query(`
            ALTER TABLE "users"
            ADD "version" integer NOT NULL DEFAULT '1'
        `);
    await queryRunner.query(`
            ALTER TABLE "data_analyses"
            ADD "version" integer NOT NULL DEFAULT '1'
        `);
    await queryRunner.query(`
            ALTER TABLE "website_crawl_data"
            ADD "version" integer NOT NULL DEFAULT '1'
        `);
    await queryRunner.query(`
            ALTER TABLE "user_memberships"
            ADD "version" integer NOT NULL DEFAULT '1'
        `);
    await queryRunner.query(`
            ALTER TABLE "leads"
            ADD "version" integer NOT NULL DEFAULT '1'
        `);
    await queryRunner.query(`
            ALTER TABLE "tasks"
            ADD "version" integer NOT NULL DEFAULT '1'
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "tasks" DROP COLUMN "version"
        `);
    await queryRunner.query(`
            ALTER TABLE "leads" DROP COLUMN "version"
        `);
    await queryRunner.query(`
            ALTER TABLE "user_memberships" DROP COLUMN "version"
        `);
    await queryRunner.query(`
            ALTER TABLE "website_crawl_data" DROP COLUMN "version"
        `);
    await queryRunner.query(`
            ALTER TABLE "data_analyses" DROP COLUMN "version"
        `);
    await queryRunner.query(`
            ALTER TABLE "users" DROP COLUMN "version"
        `);
    await queryRunner.query(`
            ALTER TABLE "entities" DROP COLUMN "version"
        `);
  }
}
