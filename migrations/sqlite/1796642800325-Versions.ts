import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The row version behind ETag / If-Match. SQLite adds (and drops) a column in place: the
 * generator's copy-the-table round trip would rebuild seven tables and their foreign keys.
 */
const TABLES = [
  'entities',
  'users',
  'data_analyses',
  'website_crawl_data',
  'user_memberships',
  'leads',
  'tasks',
];

export class Versions1796642800325 implements MigrationInterface {
  name = 'Versions1796642800325';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD COLUMN "version" integer NOT NULL DEFAULT (1)`,
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [...TABLES].reverse()) {
      await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "version"`);
    }
  }
}
