import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { version } from '../../../package.json';
import { CacheService } from '../../cache/cache.service';
import { AppConfig } from '../../config/app-config';

/** Seconds; from a 1 ms cache hit to a 10 s timeout. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
/** Requests no route matched (404s, scanners): one label value, so raw URLs never become labels. */
const UNMATCHED = 'unmatched';

const STARTED = Symbol('cornerstone:metrics-start');
const THROTTLED = Symbol('cornerstone:throttled-by');
type Timed = FastifyRequest & { [STARTED]?: bigint; [THROTTLED]?: true };

/** pg's Pool, as TypeORM's PostgreSQL driver holds it (master and one per replica). */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** Marks a request refused by the throttler (AppThrottlerGuard), counted once when it is answered. */
export function markThrottled(request: FastifyRequest): void {
  (request as Timed)[THROTTLED] = true;
}

/**
 * The Prometheus metrics of this process (README, "Metrics"), in a registry of its own (several
 * apps in one test process never share counters). Per request: one histogram observation and
 * the in-flight gauge, in two Fastify hooks; everything else (pools, cache, build info) is read
 * when /metrics is scraped.
 */
@Injectable()
export class AppMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'method' | 'route' | 'status_class'>;
  private readonly inFlight: Gauge;
  private readonly throttled: Counter;

  constructor(config: AppConfig, @InjectDataSource() dataSource: DataSource, cache: CacheService) {
    const registers = [this.registry];
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being served',
      registers,
    });
    this.throttled = new Counter({
      name: 'http_requests_throttled_total',
      help: 'Requests refused with 429 by the throttler (THROTTLE_LIMIT, search and intake limits)',
      registers,
    });
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by pool (primary, replica-N) and state (in_use, idle, waiting); PostgreSQL only',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [pool, p] of pgPools(dataSource)) {
          this.set({ pool, state: 'in_use' }, p.totalCount - p.idleCount);
          this.set({ pool, state: 'idle' }, p.idleCount);
          this.set({ pool, state: 'waiting' }, p.waitingCount);
        }
      },
    });
    const tierCounter = (name: string, help: string, pick: 'hits' | 'misses') =>
      new Counter({
        name,
        help,
        labelNames: ['tier'],
        registers,
        collect() {
          // CacheService already counts every lookup: read its counters, never count twice.
          this.reset();
          const tiers = cache.tierCounts();
          this.inc({ tier: 'memory' }, tiers.memory[pick]);
          if (tiers.redis) this.inc({ tier: 'redis' }, tiers.redis[pick]);
        },
      });
    tierCounter('cache_hits_total', 'Cache lookups answered by the tier', 'hits');
    tierCounter('cache_misses_total', 'Cache lookups the tier could not answer', 'misses');
    new Gauge({
      name: 'cornerstone_build_info',
      help: 'Always 1; the labels say which build runs on which stores',
      labelNames: ['version', 'database', 'cache', 'crawl_store', 'node'],
      registers,
    }).set(
      {
        version,
        database: config.database.kind,
        cache: config.redis ? 'memory+redis' : 'memory',
        crawl_store: config.mongo ? 'mongo' : 'sql',
        node: process.version,
      },
      1,
    );
    // Process CPU, memory, handles, GC and nodejs_eventloop_lag_* (prom-client's defaults).
    collectDefaultMetrics({ register: this.registry });
  }

  /** The per-request hooks: the only cost a request pays (METRICS_ENABLED=false: none). */
  instrument(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, _reply, done) => {
      (request as Timed)[STARTED] = process.hrtime.bigint();
      this.inFlight.inc();
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      const started = (request as Timed)[STARTED];
      if (started !== undefined) {
        this.inFlight.dec();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const status = STATUS_CLASSES[Math.floor(reply.statusCode / 100) - 1] ?? 'other';
        this.duration.observe(
          {
            method: request.method,
            route: request.routeOptions.url ?? UNMATCHED,
            status_class: status,
          },
          seconds,
        );
      }
      if ((request as Timed)[THROTTLED]) this.throttled.inc();
      done();
    });
  }

  /** The text exposition format (`text/plain; version=0.0.4`). */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The pg pools behind the DataSource: `primary` and `replica-<n>` (DATABASE_READ_URLS). */
function pgPools(dataSource: DataSource): Array<[string, PgPool]> {
  if (dataSource.options.type !== 'postgres' || !dataSource.isInitialized) return [];
  const driver = dataSource.driver as unknown as { master?: PgPool; slaves?: PgPool[] };
  const pools: Array<[string, PgPool]> = driver.master ? [['primary', driver.master]] : [];
  (driver.slaves ?? []).forEach((pool, i) => pools.push([`replica-${i + 1}`, pool]));
  return pools;
}
