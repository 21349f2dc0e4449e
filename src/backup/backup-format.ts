import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** Written into every header; a restore refuses a file of another application. */
export const APPLICATION_ID = 'cornerstone';
export const BACKUP_FORMAT = 'cornerstone-backup';
/** 2: adds `crawlStore` and the document collections (MongoDB crawl documents) after the tables. */
export const BACKUP_FORMAT_VERSION = 2;
/** Versions a restore reads: 1 is 2 without documents (its `excluded` said what was left out). */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];

/** The system log's `service` of backup and restore runs. */
export const BACKUP_LOG_SERVICE = 'backup';

/** The first line of a backup file. */
export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  application: string;
  /** The dialect it was taken from (postgres | sqlite). */
  database: string;
  /** The last migration applied to the source: the schema version. */
  schema: { migration: string; timestamp: number };
  createdAt: string;
  tables: BackupTableHeader[];
  /** Where the source kept its crawl documents: a restore refuses a deployment that keeps them elsewhere. */
  crawlStore?: 'sql' | 'mongo';
  /** Document collections, after every table's rows (the crawl documents when crawlStore is mongo). */
  collections?: BackupCollectionHeader[];
  /**
   * Format 1 only (read, no longer written): what the file did not hold — the crawl documents
   * of a MongoDB deployment, which format 1 left out.
   */
  excluded?: string[];
}

export interface BackupCollectionHeader {
  name: string;
  documents: number;
}

export interface BackupTableHeader {
  name: string;
  columns: string[];
  rows: number;
}

/** Every following line: one row of `t`, its values in the header's column order. */
export interface BackupRowLine {
  t: string;
  r: unknown[];
}

/** A document line (after the rows): `d` is the document as canonical MongoDB Extended JSON. */
export interface BackupDocumentLine {
  c: string;
  d: Record<string, unknown>;
}

/** The crawl store a header describes; format 1 named a MongoDB source only in `excluded`. */
export function crawlStoreOf(header: BackupHeader): 'sql' | 'mongo' {
  return header.crawlStore ?? (header.excluded?.length ? 'mongo' : 'sql');
}

/**
 * A refused backup or restore, said in one line (bad file, other application, newer schema,
 * non-empty target). The CLI prints the message and exits 1, without a stack trace.
 */
export class BackupError extends Error {
  override name = 'BackupError';
}

const DATE_TYPES = new Set<unknown>([
  Date,
  'datetime',
  'timestamp',
  'timestamptz',
  'timestamp with time zone',
  'timestamp without time zone',
]);

const JSON_TYPES = new Set<unknown>(['json', 'jsonb', 'simple-json']);

/**
 * JSON columns travel as their JSON text (read as text on PostgreSQL too): the only form in
 * which a stored JSON null and an SQL NULL stay apart, and it restores byte for byte.
 */
export function isJsonColumn(column: ColumnMetadata): boolean {
  return JSON_TYPES.has(column.type);
}

/**
 * A hydrated value (driver conversions applied: Date, boolean, parsed JSON) as portable JSON:
 * dates as ISO 8601 with milliseconds, binary as {"$base64": …}; everything else as is
 * (bigint and numeric stay the strings the driver gives).
 */
export function toPortable(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return { $base64: value.toString('base64') };
  return value;
}

/** The inverse of toPortable, for one column, before the driver's own persist conversion. */
export function fromPortable(value: unknown, column: ColumnMetadata): unknown {
  if (value === null || value === undefined) return null;
  if (DATE_TYPES.has(column.type) && typeof value === 'string') {
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw new BackupError(`bad date "${value}"`);
    return date;
  }
  if (typeof value === 'object' && value !== null && '$base64' in value && isBinary(column)) {
    return Buffer.from(String((value as { $base64: unknown }).$base64), 'base64');
  }
  return value;
}

function isBinary(column: ColumnMetadata): boolean {
  return (
    (column.type as unknown) === Buffer ||
    ['blob', 'bytea', 'binary', 'varbinary'].includes(String(column.type))
  );
}

/** A migration's timestamp: the digits its class name ends with (Identity1795710936645). */
export function migrationTimestamp(name: string): number {
  return Number(/(\d+)$/.exec(name)?.[1] ?? 0);
}
