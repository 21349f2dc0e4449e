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
const DURATION_FORMAT = /^[1-9]\d{0,9}[smhd]?$/;
const DURATION_MESSAGE = 'must be seconds or a duration like 15m, 12h, 7d';

const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

const ADDRESS = String.raw`(?:loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(?:/\d{1,3})?)`;
/** '' | a hop count 1–32 | addr[/prefix](,addr[/prefix])* — addresses checked again by proxy-addr. */
const TRUST_PROXY_FORMAT = new RegExp(
  String.raw`^(|[1-9]|[12]\d|3[0-2]|${ADDRESS}(\s*,\s*${ADDRESS})*)$`,
);

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

  /**
   * Longest a Redis command may take before it counts as failed (cache, pub/sub, throttler):
   * a hung Redis (connected, silent) then costs each request at most this, and the app falls
   * through to the database and per-instance rate limits.
   */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  REDIS_COMMAND_TIMEOUT_MS = 200;

  /** Longest a Redis connection attempt may take. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  REDIS_CONNECT_TIMEOUT_MS = 1_000;

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

  /** Access-token (JWT) lifetime; ACCESS_TOKEN_TTL wins over the older name JWT_EXPIRES_IN. */
  @IsOptional()
  @Matches(DURATION_FORMAT, { message: DURATION_MESSAGE })
  ACCESS_TOKEN_TTL?: string;

  /** Deprecated name of ACCESS_TOKEN_TTL, still honoured when ACCESS_TOKEN_TTL is unset. */
  @IsOptional()
  @Matches(DURATION_FORMAT, { message: DURATION_MESSAGE })
  JWT_EXPIRES_IN?: string;

  /** Refresh-token lifetime, sliding: every refresh starts it again. */
  @Matches(DURATION_FORMAT, { message: DURATION_MESSAGE })
  REFRESH_TOKEN_TTL = '30d';

  /** Failed sign-ins an account (a login string) is allowed before the back-off (1 s, 2 s, 4 s … 15 min) starts. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  LOGIN_FREE_FAILURES_PER_ACCOUNT = 5;

  /** The same for one client address, across accounts (and "already registered" answers). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  LOGIN_FREE_FAILURES_PER_IP = 20;

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

  /**
   * Which proxies in front may set X-Forwarded-For: empty/false (default) trusts none, so the
   * client address is the socket's; a hop count (1: the nearest proxy); or a comma-separated
   * list of proxy addresses/CIDRs (also loopback, linklocal, uniquelocal). Never `true`: that
   * would take the client's own X-Forwarded-For as its address (rate limits bypassed).
   */
  @Transform(({ value }: { value: unknown }) =>
    value === undefined || value === '' || value === 'false' || value === '0' ? '' : value,
  )
  @IsString()
  @Matches(TRUST_PROXY_FORMAT, {
    message:
      'must be empty (no proxy trusted), a hop count, or comma-separated proxy addresses/CIDRs',
  })
  TRUST_PROXY = '';

  /** Serve Swagger UI (/docs) and the OpenAPI document (/docs-json). Default: on, off in production. */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean()
  DOCS_ENABLED?: boolean;

  /**
   * GET /health (readiness with every dependency's details) answers platform admins, or a
   * request whose X-Health-Token header equals this. Unset: admins only.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  HEALTH_DETAILS_TOKEN?: string;

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

  /** Searches (a list with `search`) per client IP per THROTTLE_TTL_SECONDS, on top of THROTTLE_LIMIT. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SEARCH_THROTTLE_LIMIT = 30;

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

  /**
   * Longest a client may take to send a whole request (headers and body): then 408 and the
   * connection is closed. Bounds slow-body clients (each holds a socket while it trickles).
   */
  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** A socket with no traffic for this long is closed (Fastify `connectionTimeout`). */
  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(3_600_000)
  HTTP_CONNECTION_TIMEOUT_MS = 60_000;

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

  /** Seconds between writes of the buffered API-key uses (usage_count, last_used_at). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(300)
  API_KEY_USAGE_FLUSH_SECONDS = 5;

  /** Seconds between purges of expired sessions (refresh tokens); 0 turns the purge off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400)
  SESSION_PURGE_SECONDS = 3600;

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

  /** Collect Prometheus request metrics (GET /metrics). Off: no per-request hook at all. */
  @Transform(toBool)
  @IsBoolean()
  METRICS_ENABLED = true;

  /** Bearer token that opens GET /metrics on the API port; unset: 401 there. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  @MaxLength(256)
  METRICS_TOKEN?: string;

  /** Also serve /metrics (no token) on 127.0.0.1:<this port>, for a local scraper or sidecar. */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  METRICS_PORT?: number;

  /** Seconds a stored response is replayed for its Idempotency-Key (default 24 h). */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(7 * 86_400)
  IDEMPOTENCY_TTL_SECONDS = 86_400;

  /** Seconds between purges of expired idempotency keys; 0 turns the purge off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400)
  IDEMPOTENCY_PURGE_SECONDS = 3600;

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
    const secret = /SECRET|PASSWORD|TOKEN/.test(first.property);
    const got = secret ? '' : ` (got ${JSON.stringify(first.value)})`;
    throw new ConfigError(`Invalid configuration: ${shown}${got}`);
  }
  return env;
}
