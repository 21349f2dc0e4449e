import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { buildTypeOrmOptions } from '../../src/database/typeorm-options';
import { createScratchDatabase } from './databases';
import { testTarget } from './test-app';

export interface TestDatabase {
  dataSource: DataSource;
  target: 'sqlite' | 'postgres';
  close: () => Promise<void>;
}

/**
 * A migrated database of the suite's target without the app: SQLite in memory, or a fresh
 * PostgreSQL database dropped on close. For tests of the database layer itself.
 */
export async function openTestDatabase(
  label: string,
  env: Record<string, string> = {},
): Promise<TestDatabase> {
  let drop = async () => undefined as void;
  const overrides: Record<string, string> = { DB_MIGRATE_ON_START: 'true', ...env };
  if (testTarget === 'postgres') {
    const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL!, label);
    overrides.DATABASE_URL = scratch.url;
    drop = scratch.drop;
  }
  // No TypeORM logging: without the app, Nest's default logger would print every migration and failure.
  const options = { ...buildTypeOrmOptions(loadConfig(overrides)), logging: false as const };
  const dataSource = await new DataSource(options).initialize();
  return {
    dataSource,
    target: testTarget,
    close: async () => {
      await dataSource.destroy();
      await drop();
    },
  };
}
