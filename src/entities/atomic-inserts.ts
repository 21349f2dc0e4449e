import { DataSource, InsertQueryBuilder, ObjectLiteral } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';

interface SqliteConnection {
  prepare(sql: string): { run(...params: unknown[]): unknown };
  transaction<T>(fn: () => T): () => T;
}

/**
 * Runs several INSERTs as one unit. PostgreSQL: one transaction on a pooled connection.
 * SQLite: TypeORM shares a single connection between all requests, so a transaction held
 * across awaits would swallow other requests' statements; the inserts run instead inside one
 * synchronous better-sqlite3 transaction that nothing can interleave with.
 */
export async function insertAtomically(
  dataSource: DataSource,
  inserts: InsertQueryBuilder<ObjectLiteral>[],
): Promise<void> {
  const statements = inserts.map((qb) => qb.getQueryAndParameters());
  if (dataSource.options.type === 'postgres') {
    await dataSource.transaction(async (manager) => {
      for (const [sql, params] of statements) await manager.query(sql, params);
    });
    return;
  }
  const sqlite = (dataSource.driver as unknown as { databaseConnection: SqliteConnection })
    .databaseConnection;
  const toSqlite = (value: unknown) =>
    typeof value === 'boolean'
      ? value
        ? 1
        : 0
      : value instanceof Date
        ? DateUtils.mixedDateToUtcDatetimeString(value)
        : value;
  sqlite.transaction(() => {
    for (const [sql, params] of statements) sqlite.prepare(sql).run(...params.map(toSqlite));
  })();
}
