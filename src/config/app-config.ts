import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError, EnvironmentVariables, validateEnvironment } from './environment';
import { MIN_SECRET_BYTES, weakSecretReason } from './secrets';

export type DatabaseKind = 'postgres' | 'sqlite';
export type NodeEnv = EnvironmentVariables['NODE_ENV'];

/** Typed, validated configuration. The only place that knows about environment variables. */
export abstract class AppConfig {
  abstract readonly env: NodeEnv;
  abstract readonly http: {
    port: number;
    host: string;
    corsOrigins: string[] | '*' | null;
    /** TRUST_PROXY: false (the socket address is the client), a hop count, or proxy addresses/CIDRs. */
    trustProxy: false | number | string[];
    /** BEHIND_HTTPS: served over HTTPS, so the CSP may say `upgrade-insecure-requests`. */
    behindHttps: boolean;
    bodyLimitBytes: number;
    shutdownTimeoutMs: number;
    shutdownDelayMs: number;
    /** HTTP_REQUEST_TIMEOUT_MS: whole request (headers + body) received within this, else 408. */
    requestTimeoutMs: number;
    /** HTTP_CONNECTION_TIMEOUT_MS: idle sockets closed after this. */
    connectionTimeoutMs: number;
    /** V8's heap growing factor, as (1 + percent/100); 0: V8's default. */
    heapGrowingPercent: number;
  };
  abstract readonly database: {
    kind: DatabaseKind;
    url: string;
    /** SQLite file path or ':memory:'; null on PostgreSQL. */
    sqlitePath: string | null;
    readUrls: string[];
    poolSize: number;
    poolTimeoutMs: number;
    statementTimeoutMs: number;
    migrateOnStart: boolean;
  };
  /** DOCS_ENABLED: /docs and /docs-json served (default on, off in production). */
  abstract readonly docs: { enabled: boolean };
  /** HEALTH_DETAILS_TOKEN: X-Health-Token value that opens GET /health besides admins; null: admins only. */
  abstract readonly health: { detailsToken: string | null };
  abstract readonly mongo: {
    url: string;
    database: string;
    maxPoolSize: number;
    minPoolSize: number;
  } | null;
  abstract readonly redis: {
    url: string;
    keyPrefix: string;
    /** REDIS_COMMAND_TIMEOUT_MS / REDIS_CONNECT_TIMEOUT_MS, on every Redis client. */
    commandTimeoutMs: number;
    connectTimeoutMs: number;
  } | null;
  abstract readonly cache: { ttlSeconds: number; memoryMaxEntries: number };
  abstract readonly auth: {
    jwtSecret: string;
    /** ACCESS_TOKEN_TTL (or JWT_EXPIRES_IN), seconds. */
    accessTokenTtlSeconds: number;
    /** REFRESH_TOKEN_TTL, seconds; sliding. */
    refreshTokenTtlSeconds: number;
    adminEmail?: string;
    adminPassword?: string;
    /** Failures allowed before LoginBackoff makes a key wait. */
    freeFailures: { account: number; ip: number };
    /** SESSION_PURGE_SECONDS: how often expired sessions are deleted; 0: never. */
    sessionPurgeSeconds: number;
  };
  abstract readonly uploads: { dir: string; maxBytes: number };
  abstract readonly log: { level: string; pretty: boolean };
  abstract readonly throttle: { limit: number; ttlSeconds: number; searchLimit: number };
  abstract readonly cluster: { workers: number | null };
  abstract readonly billing: {
    /** HMAC secret of the Lemon Squeezy webhook; null: the webhook answers 503. */
    lemonSqueezyWebhookSecret: string | null;
    /** API_KEY_USAGE_FLUSH_SECONDS: how often buffered API-key uses are written as increments. */
    apiKeyUsageFlushSeconds: number;
  };
  abstract readonly tasks: {
    /** How often expired task leases are swept; 0: never (tests call the sweep themselves). */
    leaseSweepSeconds: number;
  };
  abstract readonly metrics: {
    /** METRICS_ENABLED: collect request metrics (the hooks) at all. */
    enabled: boolean;
    /** METRICS_TOKEN: bearer token of GET /metrics; null: /metrics answers 401 on the API port. */
    token: string | null;
    /** METRICS_PORT: also serve /metrics, without a token, on 127.0.0.1:<port>; null: not. */
    port: number | null;
  };
  abstract readonly idempotency: {
    /** IDEMPOTENCY_TTL_SECONDS: how long a stored response is replayed for its key. */
    ttlSeconds: number;
    /** IDEMPOTENCY_PURGE_SECONDS: how often expired keys are deleted; 0: never. */
    purgeSeconds: number;
  };
  abstract readonly analytics: {
    /** How often buffered API-call counters are added to usage_analytics. */
    usageFlushSeconds: number;
    /** How often the system_logs partitions are kept two months ahead; 0: never. */
    partitionUpkeepSeconds: number;
  };
}

const DEFAULT_SQLITE_PATH = './data/cornerstone.sqlite';

/** Pool sizes per environment: small in development, larger in production, minimal in tests. */
const POOL_DEFAULTS: Record<NodeEnv, number> = { development: 5, production: 20, test: 2 };

export function databaseKindOf(url: string | undefined): DatabaseKind {
  return url && /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

/**
 * The database kind decides column types when entity files are imported, before Nest
 * builds anything, so it is read straight from the environment here, once.
 */
export function currentDatabaseKind(): DatabaseKind {
  return databaseKindOf(readEnvironment().DATABASE_URL as string | undefined);
}

/** process.env over .env (the file never overrides the real environment). */
export function readEnvironment(): Record<string, string | undefined> {
  const fileVars =
    existsSync('.env') && process.env.NODE_ENV !== 'test' ? parseDotenv(readFileSync('.env')) : {};
  return { ...fileVars, ...process.env };
}

function parseTrustProxy(raw: string): false | number | string[] {
  const value = raw.trim();
  if (value === '') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const list = value.split(',').map((a) => a.trim());
  for (const entry of list) {
    const [address, prefix] = entry.split('/');
    const family = ['loopback', 'linklocal', 'uniquelocal'].includes(address) ? -1 : isIP(address);
    const bits = family === 6 ? 128 : 32;
    if (family === 0 || (prefix !== undefined && (family === -1 || Number(prefix) > bits))) {
      throw new ConfigError(
        `Invalid configuration: TRUST_PROXY entry ${JSON.stringify(entry)} is not an address or CIDR`,
      );
    }
  }
  return list;
}

const DURATION_UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "900", "15m", "12h", "7d" (already validated) in seconds. */
export function durationSeconds(value: string): number {
  const unit = /[smhd]$/.test(value) ? value.slice(-1) : 's';
  return Number.parseInt(value, 10) * DURATION_UNIT_SECONDS[unit];
}

/** `overrides` win over the environment; `defaults` only fill what the environment leaves unset. */
export function loadConfig(
  overrides: Record<string, string | undefined> = {},
  defaults: Record<string, string> = {},
): AppConfig {
  const env = validateEnvironment({ ...defaults, ...readEnvironment(), ...overrides });
  const url = env.DATABASE_URL ?? `sqlite:${DEFAULT_SQLITE_PATH}`;
  const kind = databaseKindOf(url);
  const sqlitePath = kind === 'sqlite' ? url.slice('sqlite:'.length) : null;
  const production = env.NODE_ENV === 'production';
  if (production && !env.JWT_SECRET) {
    throw new ConfigError(
      'Invalid configuration: JWT_SECRET must be set in production (at least 32 characters)',
    );
  }
  const weak = production && env.JWT_SECRET ? weakSecretReason(env.JWT_SECRET) : null;
  if (weak) {
    // The reason only: the secret itself is never printed.
    throw new ConfigError(
      `Invalid configuration: JWT_SECRET ${weak}; set a random value of at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -hex 32)`,
    );
  }
  const cors = env.CORS_ORIGINS.trim();
  return {
    env: env.NODE_ENV,
    http: {
      port: env.PORT,
      host: env.HOST ?? '0.0.0.0',
      corsOrigins: cors === '' ? null : cors === '*' ? '*' : cors.split(',').map((o) => o.trim()),
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      behindHttps: env.BEHIND_HTTPS,
      bodyLimitBytes: 1024 * 1024,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      shutdownDelayMs: env.SHUTDOWN_DELAY_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: env.HTTP_CONNECTION_TIMEOUT_MS,
      heapGrowingPercent: env.HEAP_GROWING_PERCENT,
    },
    database: {
      kind,
      url,
      sqlitePath,
      readUrls: (env.DATABASE_READ_URLS ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
      poolSize: env.DATABASE_POOL_SIZE ?? POOL_DEFAULTS[env.NODE_ENV],
      poolTimeoutMs: env.DATABASE_POOL_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      // The embedded default just works; a production database is migrated deliberately.
      migrateOnStart: env.DB_MIGRATE_ON_START ?? (kind === 'sqlite' || !production),
    },
    docs: { enabled: env.DOCS_ENABLED ?? !production },
    health: { detailsToken: env.HEALTH_DETAILS_TOKEN ?? null },
    mongo: env.MONGO_URL
      ? {
          url: env.MONGO_URL,
          database: env.MONGO_DATABASE,
          maxPoolSize: env.MONGO_MAX_POOL_SIZE ?? (production ? 50 : 10),
          minPoolSize: env.MONGO_MIN_POOL_SIZE ?? (production ? 5 : 0),
        }
      : null,
    redis: env.REDIS_URL
      ? {
          url: env.REDIS_URL,
          keyPrefix: env.REDIS_KEY_PREFIX,
          commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
          connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS,
        }
      : null,
    cache: { ttlSeconds: env.CACHE_TTL_SECONDS, memoryMaxEntries: env.CACHE_MEMORY_MAX_ENTRIES },
    auth: {
      // Without a secret outside production, a random one per process: tokens die on restart.
      jwtSecret: env.JWT_SECRET ?? randomBytes(32).toString('hex'),
      accessTokenTtlSeconds: durationSeconds(env.ACCESS_TOKEN_TTL ?? env.JWT_EXPIRES_IN ?? '15m'),
      refreshTokenTtlSeconds: durationSeconds(env.REFRESH_TOKEN_TTL),
      adminEmail: env.ADMIN_EMAIL,
      adminPassword: env.ADMIN_PASSWORD,
      freeFailures: {
        account: env.LOGIN_FREE_FAILURES_PER_ACCOUNT,
        ip: env.LOGIN_FREE_FAILURES_PER_IP,
      },
      sessionPurgeSeconds: env.SESSION_PURGE_SECONDS,
    },
    uploads: { dir: env.UPLOAD_DIR, maxBytes: env.MAX_UPLOAD_BYTES },
    log: {
      level: env.LOG_LEVEL,
      pretty: env.LOG_PRETTY ?? (env.NODE_ENV === 'development' && !!process.stdout.isTTY),
    },
    throttle: {
      limit: env.THROTTLE_LIMIT,
      ttlSeconds: env.THROTTLE_TTL_SECONDS,
      searchLimit: env.SEARCH_THROTTLE_LIMIT,
    },
    cluster: { workers: env.WEB_CONCURRENCY ?? null },
    billing: {
      lemonSqueezyWebhookSecret: env.LEMON_SQUEEZY_WEBHOOK_SECRET ?? null,
      apiKeyUsageFlushSeconds: env.API_KEY_USAGE_FLUSH_SECONDS,
    },
    tasks: { leaseSweepSeconds: env.TASK_LEASE_SWEEP_SECONDS },
    metrics: {
      enabled: env.METRICS_ENABLED,
      token: env.METRICS_TOKEN ?? null,
      port: env.METRICS_PORT ?? null,
    },
    idempotency: {
      ttlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
      purgeSeconds: env.IDEMPOTENCY_PURGE_SECONDS,
    },
    analytics: {
      usageFlushSeconds: env.USAGE_FLUSH_SECONDS,
      partitionUpkeepSeconds: env.SYSTEM_LOG_PARTITION_SECONDS,
    },
  };
}
