import Redis from 'ioredis';
import { CacheService } from '../../src/cache/cache.service';
import { startTestApp, TestApp } from '../support/test-app';
import { startThrowawayRedis, ThrowawayRedis } from '../support/throwaway-servers';
import { waitUntil } from './load';

/**
 * Redis restarted from its append-only file brings back entries written before the outage,
 * while the invalidations sent during it were lost (a removed admin kept access for the TTL).
 * Every Redis key carries the cache epoch, and each recovery moves to a new one: nothing
 * written before an outage is read after it.
 */
describe('Redis restarted from its append-only file', () => {
  let redis: ThrowawayRedis;
  let t: TestApp;
  let cache: CacheService;
  const redisState = async () => ((await cache.ping()) as { redis?: string }).redis;

  beforeAll(async () => {
    redis = await startThrowawayRedis({ appendonly: true });
    t = await startTestApp({ label: 'redis-epoch', env: { REDIS_URL: redis.url } });
    cache = t.app.get(CacheService);
    await waitUntil(async () => (await redisState()) === 'up', 10_000);
  });
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await redis?.destroy();
  });

  it('does not trust an entry written before the outage and invalidated during it', async () => {
    const key = `user:${Date.now()}`;
    await cache.set(key, { id: 'u1', isAdmin: true }, 3_600);
    expect(await cache.get(key)).toEqual({ id: 'u1', isAdmin: true });

    await redis.stop(); // SIGKILL: the append-only file (fsync always) keeps the entry
    await waitUntil(async () => (await redisState()) === 'down', 10_000);
    await cache.del(key); // the admin is removed while Redis is down: the delete never reaches it

    await redis.start();
    await waitUntil(async () => (await redisState()) === 'up', 15_000);
    const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const restored = await raw.keys(`*${key}*`);
      expect(restored.length).toBeGreaterThan(0); // the old entry really is back in Redis
    } finally {
      raw.disconnect();
    }
    expect(await cache.get(key)).toBeUndefined();

    // And the cache works in the new epoch.
    await cache.set(key, { id: 'u1', isAdmin: false }, 3_600);
    expect(await cache.get(key)).toEqual({ id: 'u1', isAdmin: false });
  });
});
