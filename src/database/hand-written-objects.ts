import { DataSource } from 'typeorm';
import { queryRows } from './raw-sql';

/** Search indexes only PostgreSQL has (pg_trgm on leads, full text on crawls). */
const POSTGRES_ONLY = (name: string) => name.endsWith('_trgm') || name === 'ix_crawl_search';

/**
 * What TypeORM's schema diff cannot see: indexes the entities declare with
 * `synchronize: false` because the migrations write them by hand (partial DESC indexes,
 * GIN indexes for search), and the pg_trgm extension. Returns one line per missing object.
 */
export async function missingHandWrittenObjects(dataSource: DataSource): Promise<string[]> {
  const postgres = dataSource.options.type === 'postgres';
  const expected = dataSource.entityMetadatas.flatMap((entity) =>
    entity.indices
      .filter((index) => !index.synchronize && index.name)
      .filter((index) => postgres || !POSTGRES_ONLY(index.name))
      .map((index) => ({ table: entity.tableName, name: index.name })),
  );
  const rows = await queryRows<{ name: string }>(
    dataSource.manager,
    postgres
      ? 'SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()'
      : `SELECT name FROM sqlite_master WHERE type = 'index'`,
  );
  const present = new Set(rows.map((row) => row.name));
  const missing = expected
    .filter((index) => !present.has(index.name))
    .map(
      (index) =>
        `index ${index.name} on ${index.table} is missing (hand-written in the migrations)`,
    );
  if (postgres && expected.some((index) => index.name.endsWith('_trgm'))) {
    const ext = await queryRows(
      dataSource.manager,
      `SELECT 1 AS one FROM pg_extension WHERE extname = 'pg_trgm'`,
    );
    if (ext.length === 0) missing.push('extension pg_trgm is missing');
  }
  return missing;
}
