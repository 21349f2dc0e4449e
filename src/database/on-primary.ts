import { DataSource, EntityManager } from 'typeorm';

/**
 * Runs reads on the primary. With DATABASE_READ_URLS set, TypeORM sends plain SELECTs to a
 * replica, which may lag behind a write that just happened; reads that decide access (is this
 * user active, what is their role) or that read back a write must not see the past, least of
 * all when their result is then cached. On SQLite (one connection) this is the same connection.
 */
export async function onPrimary<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner('master');
  try {
    return await work(runner.manager);
  } finally {
    await runner.release();
  }
}
