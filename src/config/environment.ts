import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** Every variable the app reads. Each one is documented in .env.example. */
const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : typeof value === 'string' && /^-?\d+$/.test(value.trim())
      ? Number(value)
      : value;
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : value === true || value === 'true' || value === '1'
      ? true
      : value === false || value === 'false' || value === '0'
        ? false
        : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @IsOptional()
  HOST?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(postgres(ql)?:\/\/.+|sqlite:.+)$/, {
    message: 'must be postgres://user@host:port/db or sqlite:<path> (sqlite::memory: for tests)',
  })
  DATABASE_URL?: string;

  /** Comma-separated PostgreSQL read replicas; lists are served from them. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DATABASE_READ_URLS?: string;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE?: number;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  DATABASE_POOL_TIMEOUT_MS = 5_000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 10_000;

  @Transform(toBool)
  @IsOptional()
  @IsBoolean()
  DB_MIGRATE_ON_START?: boolean;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^mongodb(\+srv)?:\/\/.+/, { message: 'must be a mongodb:// URL' })
  MONGO_URL?: string;

  @IsString()
  @MinLength(1)
  MONGO_DATABASE = 'cornerstone';

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  MONGO_MAX_POOL_SIZE?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(500)
  MONGO_MIN_POOL_SIZE?: number;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// URL' })
  REDIS_URL?: string;

  /** Prefix for every Redis key, so several apps (or test suites) can share one Redis. */
  @IsString()
  REDIS_KEY_PREFIX = 'cs:';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400 * 30)
  CACHE_TTL_SECONDS = 300;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(1_000_000)
  CACHE_MEMORY_MAX_ENTRIES = 10_000;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  JWT_SECRET?: string;

  @Matches(/^\d+[smhd]?$/, { message: 'must be seconds or a duration like 15m, 12h, 7d' })
  JWT_EXPIRES_IN = '1h';

  @IsString()
  @MinLength(1)
  UPLOAD_DIR = './data/uploads';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  @Transform(toBool)
  @IsOptional()
  @IsBoolean()
  LOG_PRETTY?: boolean;

  /**
   * The deployment is reached over HTTPS (TLS here or at a proxy): browsers are then told to
   * upgrade insecure requests. Off, pages load over plain HTTP from any host.
   */
  @Transform(toBool)
  @IsBoolean()
  BEHIND_HTTPS = false;

  /** Comma-separated origins, or * for any. Empty: CORS off. */
  @IsString()
  CORS_ORIGINS = '';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  THROTTLE_LIMIT = 300;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  THROTTLE_TTL_SECONDS = 60;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  SHUTDOWN_DELAY_MS = 0;

  /** V8 old-generation growth per full GC, in percent; 0 keeps V8's own (up to 4×). See README. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000)
  HEAP_GROWING_PERCENT = 100;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(255)
  ADMIN_EMAIL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(10)
  @MaxLength(128)
  ADMIN_PASSWORD?: string;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(64)
  WEB_CONCURRENCY?: number;

  /** Signing secret of the Lemon Squeezy webhook (X-Signature = hex HMAC-SHA256 of the raw body). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'must be at least 8 characters' })
  @MaxLength(256)
  LEMON_SQUEEZY_WEBHOOK_SECRET?: string;

  /** Seconds between sweeps of expired task leases; 0 turns the sweep off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600)
  TASK_LEASE_SWEEP_SECONDS = 30;

  /** Seconds between flushes of the in-memory API-call counters to usage_analytics. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(300)
  USAGE_FLUSH_SECONDS = 5;

  /** Seconds between runs of the system_logs partition upkeep (PostgreSQL); 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400)
  SYSTEM_LOG_PARTITION_SECONDS = 3600;
}

export class ConfigError extends Error {}

/** Validates raw environment variables; throws one ConfigError naming the first bad variable. */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  const env = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const first = errors[0];
    // Type errors first: "must be an integer" says more than "must not be greater than".
    const constraints = first.constraints ?? {};
    const key = ['isInt', 'isBoolean', 'isString', 'isIn', 'matches'].find((k) => k in constraints);
    const why = (key ? constraints[key] : Object.values(constraints)[0]) ?? 'is invalid';
    const shown = why.startsWith(first.property) ? why : `${first.property} ${why}`;
    const secret = /SECRET|PASSWORD/.test(first.property);
    const got = secret ? '' : ` (got ${JSON.stringify(first.value)})`;
    throw new ConfigError(`Invalid configuration: ${shown}${got}`);
  }
  return env;
}
