import { ColumnOptions } from 'typeorm';
import { currentDatabaseKind } from '../config/app-config';

/**
 * Portable column definitions. PostgreSQL gets its native types (uuid, timestamptz(3), jsonb),
 * SQLite the closest equivalent. Millisecond timestamps let a keyset cursor that carries
 * created_at as a JS Date round-trip exactly.
 */
const kind = currentDatabaseKind();
export const isPostgresSchema = kind === 'postgres';

export function uuidColumn(options: ColumnOptions = {}): ColumnOptions {
  return isPostgresSchema
    ? { type: 'uuid', ...options }
    : { type: 'varchar', length: 36, ...options };
}

export function timestampColumn(options: ColumnOptions = {}): ColumnOptions {
  return isPostgresSchema
    ? { type: 'timestamptz', precision: 3, ...options }
    : { type: 'datetime', ...options };
}

/** Default "now" with millisecond precision on both databases. */
export const NOW_DEFAULT = isPostgresSchema
  ? () => 'CURRENT_TIMESTAMP(3)'
  : () => "(strftime('%Y-%m-%d %H:%M:%f', 'now'))";

export function jsonColumn(options: ColumnOptions = {}): ColumnOptions {
  return isPostgresSchema ? { type: 'jsonb', ...options } : { type: 'simple-json', ...options };
}
