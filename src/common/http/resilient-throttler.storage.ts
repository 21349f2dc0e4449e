import { Logger } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { BatchedRedisThrottlerStorage } from './batched-redis-throttler.storage';

const RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * Counts in Redis so limits hold across instances; while Redis is down it counts in this
 * process instead (fail-open to per-instance limits): an outage of the cache must not turn
 * every request into an error, and per-instance limits still stop a flood.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage {
  private readonly log = new Logger('Throttler');
  private readonly local = new ThrottlerStorageService();
  private degraded = false;
  /** While degraded, Redis is asked again only after this moment (one probe a second, not per request). */
  private retryAt = 0;

  constructor(private readonly shared: ThrottlerStorage) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.degraded && Date.now() < this.retryAt)
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    try {
      const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      if (this.degraded) {
        this.degraded = false;
        this.log.log('Redis is back; rate limits are shared again');
      }
      return record;
    } catch (error) {
      this.retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
      if (!this.degraded) {
        this.degraded = true;
        this.log.warn(
          `Redis unavailable; rate limits counted per instance: ${(error as Error).message}`,
        );
      }
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }
}

/**
 * Redis-backed storage from a URL: batched counting (exact for small limits), with the
 * fallback above.
 */
export function createThrottlerStorage(
  redis: {
    url: string;
    keyPrefix: string;
    commandTimeoutMs: number;
    connectTimeoutMs: number;
  } | null,
): ThrottlerStorage | undefined {
  if (!redis) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ThrottlerStorageRedisService } = require('@nest-lab/throttler-storage-redis');
  const exact = new ThrottlerStorageRedisService(redis.url, {
    keyPrefix: `${redis.keyPrefix}throttle:`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: redis.connectTimeoutMs,
    // A hung Redis (connected, silent) fails the call after this: the request is counted locally.
    commandTimeout: redis.commandTimeoutMs,
    lazyConnect: false,
    retryStrategy: (times: number) => Math.min(100 * 2 ** times, 2_000),
  });
  exact.redis.on('error', () => undefined); // reported by ResilientThrottlerStorage when a call fails
  const batched = new BatchedRedisThrottlerStorage(exact);
  const storage = new ResilientThrottlerStorage(batched);
  const close = storage.onApplicationShutdown.bind(storage);
  storage.onApplicationShutdown = () => {
    close();
    batched.onApplicationShutdown();
    exact.redis.disconnect();
  };
  return storage;
}
