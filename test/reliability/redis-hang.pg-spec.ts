import { Actor, register } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';
import { startThrowawayRedis, ThrowawayRedis } from '../support/throwaway-servers';
import { sleep, waitUntil } from './load';

/**
 * A hung Redis: the process is stopped (SIGSTOP), its sockets stay open, nothing answers.
 * Before, every request that touched the cache or the throttler waited as long as Redis hung,
 * and /health/ready with them. Now each Redis client has a command timeout
 * (REDIS_COMMAND_TIMEOUT_MS): requests fall through to the database within that bound and
 * readiness reports the cache degraded.
 */
describe('a hung Redis (SIGSTOP)', () => {
  let redis: ThrowawayRedis;
  let t: TestApp;
  let user: Actor;
  const TIMEOUT_MS = 200;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    t = await startTestApp({
      label: 'redis-hang',
      env: {
        REDIS_URL: redis.url,
        REDIS_COMMAND_TIMEOUT_MS: String(TIMEOUT_MS),
        THROTTLE_LIMIT: '100000',
        SEARCH_THROTTLE_LIMIT: '100000',
      },
    });
    user = await register(t, 'hang');
    await waitUntil(async () => {
      const res = await t.app.getHttpAdapter().getInstance().inject('/health/ready');
      return JSON.parse(res.body).info?.cache?.redis === 'up';
    }, 10_000);
  });
  afterAll(async () => {
    redis?.resume();
    await t?.close().catch(() => undefined);
    await redis?.destroy();
  });

  const timed = async (url: string, token?: string) => {
    const started = performance.now();
    const res = await t.app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, body: res.body, ms: performance.now() - started };
  };

  it('serves from the database within the command timeout, and readiness says degraded', async () => {
    expect((await timed('/v1/auth/me', user.token)).status).toBe(200);
    redis.pause();
    try {
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await timed('/v1/auth/me', user.token);
        expect(res.status).toBe(200);
        times.push(res.ms);
      }
      // A caller the cache has never seen: its lookups miss in memory and reach (hung) Redis.
      const started = performance.now();
      const fresh = await register(t, 'hang-new');
      const registered = performance.now() - started;
      const first = await timed('/v1/auth/me', fresh.token);
      expect(first.status).toBe(200);
      times.push(registered, first.ms);
      const ready = await timed('/health/ready');
      process.stdout.write(
        `hung redis: /v1/auth/me ${times.map((m) => m.toFixed(0)).join(', ')} ms; ready ${ready.ms.toFixed(0)} ms\n`,
      );
      // At most one command timeout each for the cache and the throttler, plus the database.
      expect(Math.max(...times)).toBeLessThan(TIMEOUT_MS * 2 + 500);
      expect(ready.status).toBe(200);
      expect(ready.ms).toBeLessThan(TIMEOUT_MS * 2 + 500);
      expect(JSON.parse(ready.body)).toMatchObject({
        status: 'degraded',
        info: { cache: { status: 'degraded', redis: 'down' } },
      });
    } finally {
      redis.resume();
    }
  });

  it('uses Redis again once it answers', async () => {
    await sleep(100);
    await waitUntil(async () => {
      const ready = await timed('/health/ready');
      return JSON.parse(ready.body).info?.cache?.redis === 'up';
    }, 10_000);
    expect((await timed('/v1/auth/me', user.token)).status).toBe(200);
  });
});
