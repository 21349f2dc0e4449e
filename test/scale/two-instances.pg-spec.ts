import { randomBytes } from 'node:crypto';
import { call } from './app-process';
import { pairSuite, register, useTwoInstances } from './instance-pair';

/**
 * Two app processes (`node dist/src/main`) share one PostgreSQL database and one Redis key
 * prefix and nothing else, as two instances behind a load balancer do. A write through one
 * is seen through the other at once (no stale cached read, no revoked session still let in),
 * and the rate limit counts requests across both.
 */
const suite = pairSuite('two-instances');

const THROTTLE_LIMIT = 40;
const ADMIN = { email: 'scale-admin@example.com', password: 'scale-admin-password-1' };

const limits = (throttleLimit: number) => ({
  THROTTLE_LIMIT: String(throttleLimit),
  THROTTLE_TTL_SECONDS: '60',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
});

suite('two app instances on one PostgreSQL and one Redis', () => {
  const instances = useTwoInstances(limits(THROTTLE_LIMIT));

  it('shows a profile change made through one instance in the next read through the other', async () => {
    const user = await register(instances.a.url, 'profile');
    // B reads (and caches) the user first.
    const before = await call(instances.b.url, 'GET', '/v1/auth/me', { token: user.token });
    expect(before.status).toBe(200);
    expect(before.body.firstName).toBeNull();
    for (const [name, writer, reader] of [
      ['Ada', instances.a, instances.b],
      ['Grace', instances.b, instances.a],
      ['Edsger', instances.a, instances.b],
    ] as const) {
      const write = await call(writer.url, 'PATCH', '/v1/users/me', {
        token: user.token,
        body: { firstName: name },
      });
      expect(write.status).toBe(200);
      const read = await call(reader.url, 'GET', '/v1/auth/me', { token: user.token });
      expect(read.status).toBe(200);
      expect(read.body.firstName).toBe(name);
      const byId = await call(reader.url, 'GET', `/v1/users/${user.id}`, { token: user.token });
      expect(byId.body.firstName).toBe(name);
    }
  });

  it('refuses a token on the other instance right after the user is deactivated', async () => {
    const user = await register(instances.b.url, 'deactivate');
    expect((await call(instances.b.url, 'GET', '/v1/auth/me', { token: user.token })).status).toBe(
      200,
    ); // cached on B
    const admin = await call(instances.a.url, 'POST', '/v1/auth/login', {
      body: { login: ADMIN.email, password: ADMIN.password },
    });
    expect(admin.status).toBe(200);
    const off = await call(instances.a.url, 'POST', `/v1/users/${user.id}/deactivate`, {
      token: admin.body.accessToken,
    });
    expect(off.status).toBe(200);
    expect((await call(instances.b.url, 'GET', '/v1/auth/me', { token: user.token })).status).toBe(
      401,
    );
    expect((await call(instances.a.url, 'GET', '/v1/auth/me', { token: user.token })).status).toBe(
      401,
    );
  });

  it('refuses a session on the other instance right after a logout through one', async () => {
    const r = await call(instances.a.url, 'POST', '/v1/auth/register', {
      body: {
        email: `logout-${randomBytes(3).toString('hex')}@example.com`,
        password: 'correct horse battery',
      },
    });
    expect(r.status).toBe(201);
    const { accessToken, refreshToken } = r.body as { accessToken: string; refreshToken: string };
    // Refreshed through B, then the new token cached on both.
    const renewed = await call(instances.b.url, 'POST', '/v1/auth/refresh', {
      body: { refreshToken },
    });
    expect(renewed.status).toBe(200);
    const token = renewed.body.accessToken as string;
    for (const base of [instances.a.url, instances.b.url])
      expect((await call(base, 'GET', '/v1/auth/me', { token })).status).toBe(200);
    expect((await call(instances.a.url, 'POST', '/v1/auth/logout', { token })).status).toBe(204);
    expect((await call(instances.b.url, 'GET', '/v1/auth/me', { token })).status).toBe(401);
    expect((await call(instances.b.url, 'GET', '/v1/auth/me', { token: accessToken })).status).toBe(
      401,
    );
    const again = await call(instances.b.url, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: renewed.body.refreshToken },
    });
    expect(again.status).toBe(401);
  });

  it('counts the rate limit across both instances (429 with Retry-After on the instance that saw none of the requests)', async () => {
    const user = await register(instances.a.url, 'throttle');
    // Spend the whole budget of GET /v1/users/:id on A only …
    let spent = 0;
    let last = 200;
    while (last !== 429 && spent < THROTTLE_LIMIT * 2) {
      last = (await call(instances.a.url, 'GET', `/v1/users/${user.id}`, { token: user.token }))
        .status;
      spent++;
    }
    expect(last).toBe(429);
    expect(spent).toBeLessThanOrEqual(THROTTLE_LIMIT + 1);
    // … then B, which served none of them, refuses the same client too.
    const onB = await call(instances.b.url, 'GET', `/v1/users/${user.id}`, { token: user.token });
    expect(onB.status).toBe(429);
    expect(Number(onB.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(onB.headers.get('content-type')).toContain('application/problem+json');
  });
});

/**
 * Limits of 64 and more are counted in batches (BatchedRedisThrottlerStorage): each instance
 * reserves limit/32 hits per Redis round trip. Across instances a client may be refused up to
 * instances × (batch − 1) requests early, never admitted past the limit.
 */
suite('two app instances, batched rate-limit counting (limit 640, batch 20)', () => {
  const LIMIT = 640;
  const BATCH = 20;
  const instances = useTwoInstances(limits(LIMIT));

  it('admits at most the limit across both instances, and then both refuse', async () => {
    const user = await register(instances.a.url, 'batched');
    const admitted = { a: 0, b: 0 };
    let refused = 0;
    // Alternate between the instances until each has refused twice in a row.
    for (let i = 0; i < LIMIT * 2 && refused < 4; i++) {
      const [name, base] =
        i % 2 === 0 ? (['a', instances.a.url] as const) : (['b', instances.b.url] as const);
      const status = (await call(base, 'GET', `/v1/users/${user.id}`, { token: user.token }))
        .status;
      if (status === 200) {
        admitted[name]++;
        refused = 0;
      } else {
        expect(status).toBe(429);
        refused++;
      }
    }
    const total = admitted.a + admitted.b;
    expect(total).toBeLessThanOrEqual(LIMIT);
    expect(total).toBeGreaterThanOrEqual(LIMIT - 2 * (BATCH - 1));
    expect(admitted.a).toBeGreaterThan(0);
    expect(admitted.b).toBeGreaterThan(0);
    expect(refused).toBe(4);
  }, 60_000);
});
