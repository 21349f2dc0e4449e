/**
 * Driver errors (pg and better-sqlite3) translated once into kinds the HTTP layer maps to
 * problem+json. Nothing else in the app looks at driver error codes.
 */
export type DatabaseErrorKind =
  'unique' | 'foreign_key' | 'not_null' | 'check' | 'invalid_value' | 'timeout' | 'unavailable';

const PG_CODES: Record<string, DatabaseErrorKind> = {
  '23505': 'unique',
  '23503': 'foreign_key',
  '23502': 'not_null',
  '23514': 'check',
  // Data exceptions: a value the column cannot hold (NUL byte in text, malformed uuid, out-of-range number,
  // bad date, too long). Validation should catch these first; this keeps a miss a 400, never a 500.
  '22021': 'invalid_value', // character_not_in_repertoire (NUL byte in text)
  '22P05': 'invalid_value', // untranslatable_character
  '22P02': 'invalid_value', // invalid_text_representation (e.g. not a uuid)
  '22001': 'invalid_value', // string_data_right_truncation
  '22003': 'invalid_value', // numeric_value_out_of_range
  '22007': 'invalid_value', // invalid_datetime_format
  '22008': 'invalid_value', // datetime_field_overflow
  '57014': 'timeout', // statement_timeout / query_canceled
  '55P03': 'timeout', // lock_not_available (lock_timeout)
  '57P01': 'unavailable', // admin_shutdown
  '57P02': 'unavailable',
  '57P03': 'unavailable', // cannot_connect_now
  '53300': 'unavailable', // too_many_connections
  '08000': 'unavailable',
  '08003': 'unavailable',
  '08006': 'unavailable',
  '08001': 'unavailable',
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

const UNAVAILABLE_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
  /connection timeout/i,
  /Client has encountered a connection error/i,
  /Query read timeout/i,
  /the database system is (shutting down|starting up)/i,
  /terminating connection/i,
];

/**
 * MongoDB (driver and Mongoose) errors, by class name so nothing here loads mongoose: the
 * server unreachable → unavailable; duplicate key (11000) → unique; maxTimeMS → timeout; a
 * value the strict schema refuses (the second line behind the DTOs) → invalid_value.
 */
const MONGO_UNAVAILABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
]);
const MONGOOSE_INVALID = new Set(['ValidationError', 'CastError', 'StrictModeError']);

function classifyMongoError(e: { name?: unknown; code?: unknown }): DatabaseErrorKind | null {
  const name = typeof e.name === 'string' ? e.name : '';
  if (MONGO_UNAVAILABLE.has(name)) return 'unavailable';
  if (name === 'MongoServerError' || name === 'MongoBulkWriteError') {
    if (e.code === 11000) return 'unique';
    if (e.code === 50) return 'timeout';
  }
  if (MONGOOSE_INVALID.has(name)) return 'invalid_value';
  return null;
}

export function classifyDatabaseError(error: unknown): DatabaseErrorKind | null {
  if (!error || typeof error !== 'object') return null;
  const mongo = classifyMongoError(error as { name?: unknown; code?: unknown });
  if (mongo) return mongo;
  const e = error as { code?: unknown; driverError?: unknown; message?: unknown; errno?: unknown };
  const inner = (e.driverError ?? e) as { code?: unknown; message?: unknown };
  const code =
    typeof inner.code === 'string' ? inner.code : typeof e.code === 'string' ? e.code : '';
  const message = String(inner.message ?? e.message ?? '');
  if (PG_CODES[code]) return PG_CODES[code];
  if (NETWORK_CODES.has(code)) return 'unavailable';
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
      return 'unique';
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key';
    if (code === 'SQLITE_CONSTRAINT_NOTNULL') return 'not_null';
    return 'check';
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'timeout';
  if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return 'unavailable';
  return null;
}
