import { Injectable } from '@nestjs/common';
import { CacheKeys } from '../cache/cache-keys';
import { CacheService } from '../cache/cache.service';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../config/app-config';
import { CrawlService } from '../crawl/crawl.service';
import { SystemStatsResponse } from './dto/system-stats.response';
import { SystemStatsRepository } from './system-stats.repository';

/** How long one gathering of the stats is served (cache key `system_stats`). */
export const SYSTEM_STATS_TTL_SECONDS = 60;

const DAY_MS = 24 * 60 * 60 * 1000;

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * The platform admins' overview (GET /v1/admin/stats): counts, database size and per-table
 * rows, the connection pool and the cache. Gathered at most once per 60 s per cache (shared
 * through Redis when configured): the numbers, the pool and the cache figures are those of the
 * moment in `generatedAt`, and of the instance that gathered them.
 */
@Injectable()
export class SystemStatsService {
  constructor(
    private readonly stats: SystemStatsRepository,
    private readonly crawls: CrawlService,
    private readonly cache: CacheService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  get(): Promise<SystemStatsResponse> {
    return this.cache.wrap(CacheKeys.systemStats(), () => this.gather(), SYSTEM_STATS_TTL_SECONDS);
  }

  private async gather(): Promise<SystemStatsResponse> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - 7 * DAY_MS);
    // One after the other: on SQLite every statement shares the one connection anyway, and on
    // PostgreSQL this takes one pooled connection at a time, not four.
    const counts = await this.stats.counts(since);
    const crawls = await this.crawls.countAll();
    const sizeBytes = await this.stats.databaseSize();
    const tables = await this.stats.tables();
    const health = await this.cache.ping();
    const { hits, misses } = this.cache.lookupCounts();
    return {
      generatedAt: now.toISOString(),
      counts: {
        users: counts.users,
        entities: counts.entities,
        leads: { total: sum(counts.leads), ...counts.leads },
        tasks: { total: sum(counts.tasks), ...counts.tasks },
        crawls,
        analysesLast7Days: counts.analysesSince,
      },
      database: {
        driver: this.config.database.kind,
        sizeBytes,
        tables,
        pool: this.stats.pool(this.config.database.poolSize),
      },
      cache: {
        store: health.store,
        redisUp: health.store === 'memory' ? null : health.redis === 'up',
        hits,
        misses,
        hitRatio: hits + misses > 0 ? hits / (hits + misses) : null,
      },
    };
  }
}
