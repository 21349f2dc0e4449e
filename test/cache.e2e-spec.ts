import { randomBytes } from 'node:crypto';
import { CacheService } from '../src/cache/cache.service';
import { loadConfig } from '../src/config';
import { startTestApp, TestApp } from './support/test-app';

describe('cache: Redis unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Nothing listens on port 1: the app must start and serve without its shared cache.
    t = await startTestApp({ label: 'cache_down', env: { REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('stays ready (200) and reports the cache degraded', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.info.cache).toEqual({
      status: 'degraded',
      store: 'memory+redis',
      redis: 'down',
    });
    expect(res.body.error).toEqual({});
  });

  it('falls through to the loader instead of failing', async () => {
    const cache = t.app.get(CacheService);
    expect(await cache.wrap('user:x', async () => ({ id: 'x' }))).toEqual({ id: 'x' });
    await expect(cache.del('user:x')).resolves.toBeUndefined();
    await expect(cache.delByPrefix('user:')).resolves.toBeUndefined();
  });
});

const redisUrl = process.env.REDIS_URL;
// Needs a real Redis: runs in the e2e-postgres project (TEST_REDIS_URL), not in `npm test`.
const describeWithRedis = redisUrl ? describe : describe.skip;

describeWithRedis('cache: two instances sharing Redis (needs TEST_REDIS_URL)', () => {
  const prefix = `cs-test-${randomBytes(4).toString('hex')}:`;
  const make = () =>
    new CacheService(loadConfig({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix }));
  const a = make();
  const b = make();
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 50 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
  };

  beforeAll(async () => {
    await Promise.all([a.onModuleInit(), b.onModuleInit()]);
    await until(
      async () =>
        (await a.ping()).store === 'memory+redis' &&
        a.health().store === 'memory+redis' &&
        (a.health() as { redis: string }).redis === 'up' &&
        (b.health() as { redis: string }).redis === 'up',
    );
    await new Promise((r) => setTimeout(r, 100)); // subscribers connected
  });
  afterAll(async () => {
    await a.delByPrefix('');
    await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
  });

  it('reports Redis up', async () => {
    expect(await a.ping()).toEqual({ store: 'memory+redis', redis: 'up' });
  });

  it('shares values through Redis', async () => {
    await a.set('user:1', { name: 'Ada' });
    expect(await b.get('user:1')).toEqual({ name: 'Ada' });
  });

  it("drops the other instance's memory copy when a key is deleted", async () => {
    await a.set('user:2', { v: 1 });
    expect(await b.get('user:2')).toEqual({ v: 1 }); // b now holds it in memory too
    await a.del('user:2');
    await until(async () => (await b.get('user:2')) === undefined);
    expect(await b.get('user:2')).toBeUndefined();
  });

  it('deletes by prefix in Redis and in every instance', async () => {
    await a.set('membership:u1:e1', 'owner');
    await a.set('membership:u2:e1', 'member');
    expect(await b.get('membership:u1:e1')).toBe('owner');
    await a.delByPrefix('membership:u1:');
    await until(async () => (await b.get('membership:u1:e1')) === undefined);
    expect(await b.get('membership:u1:e1')).toBeUndefined();
    expect(await b.get('membership:u2:e1')).toBe('member');
  });
});
