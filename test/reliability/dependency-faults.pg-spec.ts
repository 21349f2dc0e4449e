import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { CacheService } from '../../src/cache/cache.service';
import { Actor, register } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';
import {
  startThrowawayPostgres,
  startThrowawayRedis,
  ThrowawayPostgres,
  ThrowawayRedis,
} from '../support/throwaway-servers';
import { inject, Outcome, runLoad, sleep, waitUntil } from './load';

/**
 * Dependency faults on dedicated, throwaway PostgreSQL and Redis servers (never the shared
 * 5432/6379): stopped mid-load, restarted, a table locked by another connection.
 * The write under load is POST /v1/entities (one row per 201).
 */

jest.setTimeout(180_000);

const STATEMENT_TIMEOUT_MS = 2_000;
const POOL_TIMEOUT_MS = 1_000;
/** No request may take longer than the configured bounds allow (plus scheduling slack). */
const REQUEST_BOUND_MS = POOL_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + 1_000 + 1_500;
const RECOVERY_BOUND_MS = 10_000;

describe('dependency faults (throwaway PostgreSQL and Redis)', () => {
  let pg: ThrowawayPostgres;
  let redis: ThrowawayRedis;
  let databaseUrl: string;
  let t: TestApp;
  let owner: Actor;

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    redis = await startThrowawayRedis();
    databaseUrl = await pg.createDatabase('cs_faults');
    t = await startTestApp({
      label: 'faults',
      env: {
        DATABASE_URL: databaseUrl,
        REDIS_URL: redis.url,
        DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        DATABASE_POOL_TIMEOUT_MS: String(POOL_TIMEOUT_MS),
        DATABASE_POOL_SIZE: '5',
      },
    });
    owner = await register(t, 'fault-owner');
  });
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await redis?.destroy();
    pg?.destroy();
  });

  const createEntity = async (): Promise<Outcome> => {
    const name = `load-${randomUUID()}`;
    const outcome = await inject(t.app, 'POST', '/v1/entities', {
      token: owner.token,
      body: { name },
    });
    return { ...outcome, tag: name };
  };

  async function dbCount(sql: string, params: unknown[] = []): Promise<number> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(sql, params);
      return Number(rows[0].n);
    } finally {
      await client.end();
    }
  }

  const isProblem503 = (o: Outcome) =>
    o.status === 503 && o.contentType.startsWith('application/problem+json') && !!o.retryAfter;

  it('PostgreSQL stopped mid-load: fast 503s, readiness 503, liveness 200; restarted: recovers by itself, no acknowledged write lost', async () => {
    const load = runLoad(6, () => createEntity());
    await sleep(1_000);
    const stoppedAt = Date.now();
    pg.stop('immediate');
    await sleep(1_500);

    const ready = await inject(t.app, 'GET', '/health/ready');
    const live = await inject(t.app, 'GET', '/health/live');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).error?.database?.status).toBe('down');
    expect(ready.ms).toBeLessThan(REQUEST_BOUND_MS);
    expect(live.status).toBe(200);

    await sleep(1_500);
    pg.start();
    const restartedAt = Date.now();
    const recoveredIn = await waitUntil(async () => {
      const after = load.outcomes.filter((o) => o.at >= restartedAt);
      return after.some((o) => o.status === 201);
    }, RECOVERY_BOUND_MS);
    await sleep(500);
    const outcomes = await load.stop();

    const during = outcomes.filter((o) => o.at >= stoppedAt && o.at < restartedAt);
    const unexpected = outcomes.filter((o) => o.status !== 201 && !isProblem503(o));
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    // Figures for the report
    process.stdout.write(
      `pg outage: ${outcomes.length} requests, ${during.length} during the outage (${during.filter((o) => o.status === 503).length} × 503), ` +
        `slowest ${slowest} ms, recovered ${recoveredIn} ms after restart\n`,
    );
    expect(unexpected.map((o) => `${o.status} ${o.body.slice(0, 200)}`)).toEqual([]);
    expect(during.filter((o) => o.status === 503).length).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(REQUEST_BOUND_MS);
    expect(recoveredIn).toBeLessThan(RECOVERY_BOUND_MS);
    expect((await inject(t.app, 'GET', '/health/ready')).status).toBe(200);

    const acknowledged = outcomes.filter((o) => o.status === 201).map((o) => o.tag!);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(
      await dbCount('SELECT COUNT(*) AS n FROM entities WHERE name = ANY($1)', [acknowledged]),
    ).toBe(acknowledged.length);
  });

  it('a table locked by another connection turns into 503 within the statement/lock timeout, then writes resume', async () => {
    const locker = new Client({ connectionString: databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE entities IN ACCESS EXCLUSIVE MODE');
      const blocked = await Promise.all(Array.from({ length: 4 }, () => createEntity()));
      for (const o of blocked) {
        expect(isProblem503(o)).toBe(true);
        expect(o.ms).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 200);
        expect(o.ms).toBeLessThan(REQUEST_BOUND_MS);
      }
      expect(JSON.parse(blocked[0].body).detail).toMatch(/did not answer in time|unavailable/i);
      // The ping does not touch the locked table: the app stays ready.
      expect((await inject(t.app, 'GET', '/health/ready')).status).toBe(200);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    const after = await createEntity();
    expect(after.status).toBe(201);
    expect(await dbCount('SELECT COUNT(*) AS n FROM entities WHERE name = $1', [after.tag])).toBe(
      1,
    );
  });

  it('Redis stopped: routes answer from the database, readiness 200 with the cache degraded, throttling falls back per instance', async () => {
    await redis.stop();
    await sleep(300);
    const created = await createEntity();
    expect(created.status).toBe(201);
    const reads = await Promise.all(
      Array.from({ length: 5 }, () => inject(t.app, 'GET', '/v1/auth/me', { token: owner.token })),
    );
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(JSON.parse(reads[0].body)).toMatchObject({ email: owner.email });

    const ready = await inject(t.app, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({
      status: 'degraded',
      info: { cache: { status: 'degraded', store: 'memory+redis', redis: 'down' } },
    });

    // A second instance with a low limit, same (dead) Redis: throttling falls back to per-instance counting (fail-open
    // to local limits, not to "no limit" and not to errors).
    const limited = await startTestApp({
      label: 'faults-throttle',
      env: {
        DATABASE_URL: databaseUrl,
        REDIS_URL: redis.url,
        THROTTLE_LIMIT: '3',
        THROTTLE_TTL_SECONDS: '60',
      },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          (await inject(limited.app, 'GET', '/v1/auth/me', { remoteAddress: '10.9.9.9' })).status,
        );
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      expect(
        (await inject(limited.app, 'GET', '/v1/auth/me', { remoteAddress: '10.9.9.10' })).status,
      ).toBe(401);
    } finally {
      await limited.close();
    }
  });

  it('Redis restarted: the app reconnects by itself and caching resumes', async () => {
    await redis.start();
    const reconnectedIn = await waitUntil(async () => {
      const ready = await inject(t.app, 'GET', '/health/ready');
      return JSON.parse(ready.body).info?.cache?.redis === 'up';
    }, RECOVERY_BOUND_MS);
    process.stdout.write(`redis: reconnected ${reconnectedIn} ms after restart\n`);
    expect(JSON.parse((await inject(t.app, 'GET', '/health/ready')).body).status).toBe('ok');

    const cache = t.app.get(CacheService);
    const key = `reliability:probe:${randomUUID()}`;
    await cache.set(key, { ok: true }, 60);
    const raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await raw.connect();
      const keys = await raw.keys(`*${key}*`);
      expect(keys.length).toBe(1);
      // Requests are counted in Redis again (the throttler's keys reappear in the fresh server)
      // once the throttler's own client is back: its reconnect backoff (up to 2 s) is not the
      // cache client's, which may have been back within milliseconds.
      const countedIn = await waitUntil(async () => {
        await inject(t.app, 'GET', '/v1/auth/me', { token: owner.token });
        return (await raw.keys(`${t.config.redis!.keyPrefix}throttle:*`)).length > 0;
      }, RECOVERY_BOUND_MS);
      process.stdout.write(`redis: rate limits counted in Redis again after ${countedIn} ms\n`);
    } finally {
      raw.disconnect();
    }
    expect((await inject(t.app, 'GET', '/v1/auth/me', { token: owner.token })).status).toBe(200);
  });
});
