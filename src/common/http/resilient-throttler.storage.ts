import { Logger } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { BatchedRedisThrottlerStorage } from './batched-redis-throttler.storage';

/**
 * Counts in Redis so limits hold across instances; while Redis is down it counts in this
 * process instead (fail-open to per-instance limits): an outage of the cache must not turn
 * every request into an error, and per-instance limits still stop a flood.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage {
  private readonly log = new Logger('Throttler');
  private readonly local = new ThrottlerStorageService();
  private degraded = false;

  constructor(private readonly shared: ThrottlerStorage) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      if (this.degraded) {
        this.degraded = false;
        this.log.log('Redis is back; rate limits are shared again');
      }
      return record;
    } catch (error) {
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
  redis: { url: string; keyPrefix: string } | null,
): ThrottlerStorage | undefined {
  if (!redis) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ThrottlerStorageRedisService } = require('@nest-lab/throttler-storage-redis');
  const exact = new ThrottlerStorageRedisService(redis.url, {
    keyPrefix: `${redis.keyPrefix}throttle:`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
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
