import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { BatchedRedisThrottlerStorage, throttleBatchSize } from './batched-redis-throttler.storage';
import { ResilientThrottlerStorage } from './resilient-throttler.storage';

const MINUTE = 60_000;

describe('throttleBatchSize', () => {
  it('is limit / 32, at least 1 (exact below 64) and at most 64', () => {
    expect([0, 5, 63, 64, 300, 640, 2048, 100_000].map(throttleBatchSize)).toEqual([
      1, 1, 1, 2, 9, 20, 64, 64,
    ]);
  });
});

describe('BatchedRedisThrottlerStorage, Redis unreachable', () => {
  const exact = new ThrottlerStorageRedisService('redis://127.0.0.1:1', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  exact.redis.on('error', () => undefined);
  const batched = new BatchedRedisThrottlerStorage(exact);
  afterAll(() => {
    batched.onApplicationShutdown();
    exact.redis.disconnect();
  });

  it('throws, and ResilientThrottlerStorage counts per instance instead', async () => {
    await expect(batched.increment('k', MINUTE, 640, MINUTE, 'default')).rejects.toThrow();
    const resilient = new ResilientThrottlerStorage(batched);
    const records = [];
    for (let i = 0; i < 3; i++)
      records.push(await resilient.increment('k', MINUTE, 2, MINUTE, 'default'));
    expect(records.map((r) => r.isBlocked)).toEqual([false, false, true]);
    resilient.onApplicationShutdown();
  });
});

// A real Redis only when TEST_REDIS_URL names one (CI's PostgreSQL + Redis step runs the unit
// project with it): `npm test` touches no server, even one that happens to answer locally.
// Jest decides at collection time, hence a synchronous PING from a child process.
const redisUrl = process.env.TEST_REDIS_URL ?? '';
function redisAnswers(url: string): boolean {
  const { hostname, port } = new URL(url);
  const ping = `const s = require('net').connect(${Number(port) || 6379}, ${JSON.stringify(hostname)});
    s.on('connect', () => s.write('PING\\r\\n')).on('error', () => process.exit(1));
    s.on('data', (d) => process.exit(String(d).startsWith('+PONG') ? 0 : 1));`;
  return spawnSync(process.execPath, ['-e', ping], { timeout: 2_000 }).status === 0;
}
const withRedis = redisUrl !== '' && redisAnswers(redisUrl);
const describeWithRedis = withRedis ? describe : describe.skip;

describeWithRedis(
  `BatchedRedisThrottlerStorage on Redis${withRedis ? '' : redisUrl ? ` (skipped: no Redis answers at ${redisUrl})` : ' (skipped: TEST_REDIS_URL is not set)'}`,
  () => {
    const prefix = `cs-test-${randomBytes(4).toString('hex')}:throttle:`;
    let raw: Redis; // made in beforeAll: a skipped describe still runs its body
    const exacts: ThrottlerStorageRedisService[] = [];
    const batcheds: BatchedRedisThrottlerStorage[] = [];
    const makeExact = () => {
      const exact = new ThrottlerStorageRedisService(redisUrl, { keyPrefix: prefix });
      exacts.push(exact);
      return exact;
    };
    const make = () => {
      const batched = new BatchedRedisThrottlerStorage(makeExact());
      batcheds.push(batched);
      return batched;
    };
    /** The shared counter of a batched key: reservations × batch. */
    const counter = async (key: string) => Number(await raw.get(`${prefix}batch:${key}:default`));
    const hits = async (
      storage: BatchedRedisThrottlerStorage,
      key: string,
      n: number,
      limit: number,
      ttl = MINUTE,
    ) => {
      const records = [];
      for (let i = 0; i < n; i++)
        records.push(await storage.increment(key, ttl, limit, ttl, 'default'));
      return records;
    };

    beforeAll(() => {
      raw = new Redis(redisUrl);
    });
    afterAll(async () => {
      for (const batched of batcheds) batched.onApplicationShutdown();
      for (const exact of exacts) exact.redis.disconnect();
      const keys = await raw.keys(`${prefix}*`);
      if (keys.length) await raw.del(...keys);
      raw.disconnect();
    });

    it('limit 640 (batch 20): 100 sequential hits make 5 reservations and count 1..100', async () => {
      const records = await hits(make(), 'seq', 100, 640);
      expect(await counter('seq')).toBe(5 * 20);
      expect(records.map((r) => r.totalHits)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(records.every((r) => !r.isBlocked && r.timeToBlockExpire === 0)).toBe(true);
      expect(records[99].timeToExpire).toBe(60); // seconds, rounded up, like the stock storages
    });

    it('blocks the 641st hit until the window ends, without asking Redis again', async () => {
      const records = await hits(make(), 'over', 645, 640);
      expect(records.slice(0, 640).some((r) => r.isBlocked)).toBe(false);
      const blocked = records.slice(640);
      expect(blocked.every((r) => r.isBlocked && r.totalHits > 640)).toBe(true);
      expect(blocked[0].timeToBlockExpire).toBeGreaterThan(0);
      expect(blocked[0].timeToBlockExpire).toBeLessThanOrEqual(60);
      expect(await counter('over')).toBe(640); // 32 reservations, none after the limit was reached
    });

    it('two instances sharing Redis never admit more than the limit together', async () => {
      const a = make();
      const b = make();
      let admitted = 0;
      for (let i = 0; i < 1_000; i++) {
        const storage = i % 3 === 0 ? b : a; // uneven, so the two batches run out at different times
        if (!(await storage.increment('shared', MINUTE, 640, MINUTE, 'default')).isBlocked)
          admitted++;
      }
      expect(admitted).toBeLessThanOrEqual(640);
      expect(admitted).toBeGreaterThanOrEqual(640 - 2 * 19); // early by at most N × (batch − 1)
    });

    it('serves concurrent hits from one reservation per batch', async () => {
      const storage = make();
      const wide = await Promise.all(
        Array.from({ length: 50 }, () =>
          storage.increment('burst64', MINUTE, 2048, MINUTE, 'default'),
        ),
      );
      expect(await counter('burst64')).toBe(64); // batch 64: one reservation for all 50
      expect(wide.map((r) => r.totalHits).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      await Promise.all(
        Array.from({ length: 50 }, () =>
          storage.increment('burst20', MINUTE, 640, MINUTE, 'default'),
        ),
      );
      expect(await counter('burst20')).toBe(60); // batch 20: three reservations, one at a time
    });

    it('below 64, gives exactly the records of the exact storage (and leaves the batch keys alone)', async () => {
      const batched = make();
      const exact = makeExact();
      for (let i = 0; i < 8; i++) {
        const ours = await batched.increment('small-a', MINUTE, 5, MINUTE, 'default');
        expect(ours).toEqual(await exact.increment('small-b', MINUTE, 5, MINUTE, 'default'));
      }
      // Another block duration also takes the exact path, at any limit.
      await batched.increment('long-block', MINUTE, 640, 2 * MINUTE, 'default');
      expect(await raw.keys(`${prefix}batch:small-a*`)).toEqual([]);
      expect(await raw.keys(`${prefix}batch:long-block*`)).toEqual([]);
      expect(await raw.get(`${prefix}{long-block:default}:hits`)).toBe('1');
    });

    it('forgets a window when it ends: a fresh count after it, and the sweep drops idle keys', async () => {
      const storage = make();
      const ttl = 300;
      const first = await hits(storage, 'short', 645, 640, ttl);
      expect(first[644].isBlocked).toBe(true);
      await new Promise((r) => setTimeout(r, ttl + 50));
      const [again] = await hits(storage, 'short', 1, 640, ttl);
      expect(again).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 1 });
      await hits(storage, 'idle', 1, 640, ttl);
      expect(storage.size).toBe(2);
      await new Promise((r) => setTimeout(r, ttl + 50));
      storage.sweep();
      expect(storage.size).toBe(0);
    });
  },
);
