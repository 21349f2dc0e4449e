import { MigrationInterface, QueryRunner } from 'typeorm';

export class TaskLogsCreatedIndex1796551460223 implements MigrationInterface {
  name = 'TaskLogsCreatedIndex1796551460223';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE INDEX "ix_task_logs_created" ON "task_logs" ("created_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "ix_task_logs_created"
        `);
  }
}
