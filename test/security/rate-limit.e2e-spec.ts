import { listOperations, Operation, buildPath } from '../support/openapi-operations';
import { createEntity, registerUser } from '../support/identity';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Global rate limit (THROTTLE_LIMIT per THROTTLE_TTL_SECONDS per client IP): 429
 * problem+json with Retry-After once a client is over, other clients unaffected, health
 * probes never throttled. On e2e-postgres with TEST_REDIS_URL the counters live in Redis.
 * The two-instances-sharing-Redis variant is in test/scale (bench helper).
 */

const LIMIT = 5;

describe('rate limiting', () => {
  let t: TestApp;
  let target: Operation;

  beforeAll(async () => {
    t = await startTestApp({
      label: 'throttle',
      env: { THROTTLE_LIMIT: String(LIMIT), THROTTLE_TTL_SECONDS: '60' },
    });
    const doc = await t.app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'GET', url: '/docs-json' });
    const ops = listOperations(JSON.parse(doc.body));
    // Any guarded /v1 read will do: anonymous calls are counted before the access guard answers.
    target =
      ops.find(
        (op) => op.method === 'get' && op.path.startsWith('/v1/') && op.access?.kind !== 'public',
      ) ?? ops.find((op) => op.path.startsWith('/v1/'))!;
  });
  afterAll(async () => {
    await t?.close();
  });

  const hit = (
    ip: string,
    extra: Record<string, string> = {},
    url = buildPath(target, undefined),
  ) =>
    t.app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: target.method.toUpperCase() as 'GET',
        url,
        remoteAddress: ip,
        headers: extra,
      });

  it('answers 429 problem+json with Retry-After once a client exceeds the limit', async () => {
    expect(target).toBeDefined();
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await hit('10.0.0.1')).statusCode);
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    const over = await hit('10.0.0.1');
    expect(over.statusCode).toBe(429);
    expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(over.body)).toMatchObject({ status: 429, type: '/problems/rate-limited' });
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('counts per client: another address is not throttled', async () => {
    const other = await hit('10.0.0.2');
    expect(other.statusCode).not.toBe(429);
  });

  it('does not let a client reset its count with X-Forwarded-For (no proxy is trusted outside production)', async () => {
    const spoofed = await hit('10.0.0.1', { 'x-forwarded-for': '203.0.113.9' });
    expect(spoofed.statusCode).toBe(429);
  });

  it('never throttles the health probes', async () => {
    for (let i = 0; i < LIMIT * 3; i++) {
      const res = await t.app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'GET', url: '/health/live', remoteAddress: '10.0.0.3' });
      expect(res.statusCode).toBe(200);
    }
    const ready = await t.app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'GET', url: '/health/ready', remoteAddress: '10.0.0.3' });
    expect(ready.statusCode).toBe(200);
  });
});

/**
 * Production mode: the client address is the socket's unless TRUST_PROXY names the proxy in
 * front. (Production used to trust every X-Forwarded-For, so a made-up header reset the count.)
 */
describe('rate limiting in production mode', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  const production = async (env: Record<string, string> = {}) => {
    const t = await startTestApp({
      label: 'throttle-prod',
      env: { NODE_ENV: 'production', THROTTLE_LIMIT: String(LIMIT), DOCS_ENABLED: 'true', ...env },
    });
    apps.push(t);
    return t;
  };
  const hit = (t: TestApp, ip: string, forwardedFor?: string) =>
    t.app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: 'GET',
        url: '/v1/auth/me',
        remoteAddress: ip,
        headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      });

  it('does not let a spoofed X-Forwarded-For change the client key (no TRUST_PROXY)', async () => {
    const t = await production();
    expect(t.config.http.trustProxy).toBe(false);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++)
      statuses.push((await hit(t, '10.1.0.1', `198.51.100.${i}`)).statusCode);
    expect(statuses.slice(0, LIMIT)).not.toContain(429);
    expect(statuses.slice(LIMIT)).toEqual([429, 429, 429]);
  });

  it('honours X-Forwarded-For from the proxy TRUST_PROXY names, and only from it', async () => {
    const t = await production({ TRUST_PROXY: '127.0.0.1' });
    expect(t.config.http.trustProxy).toEqual(['127.0.0.1']);
    // Through the trusted proxy: each forwarded client has its own count.
    for (let i = 0; i < LIMIT + 2; i++)
      expect((await hit(t, '127.0.0.1', `198.51.100.${i}`)).statusCode).not.toBe(429);
    for (let i = 0; i < LIMIT; i++) await hit(t, '127.0.0.1', '203.0.113.50');
    expect((await hit(t, '127.0.0.1', '203.0.113.50')).statusCode).toBe(429);
    // From anywhere else the header is ignored.
    for (let i = 0; i < LIMIT; i++) await hit(t, '10.1.0.2', `192.0.2.${i}`);
    expect((await hit(t, '10.1.0.2', '192.0.2.200')).statusCode).toBe(429);
  });
});

/**
 * Searches have their own, stricter limit (SEARCH_THROTTLE_LIMIT), counted apart from the
 * global one: a substring search costs far more than a read, so a client that searches in
 * a loop is held back before it slows other tenants down, while its plain reads go on.
 */
describe('search rate limit', () => {
  const SEARCHES = 3;
  let t: TestApp;
  let auth: Record<string, string>;
  let entityId: string;

  beforeAll(async () => {
    t = await startTestApp({
      label: 'throttle-search',
      env: { THROTTLE_LIMIT: '1000', SEARCH_THROTTLE_LIMIT: String(SEARCHES) },
    });
    const owner = await registerUser(t.http);
    auth = owner.auth;
    entityId = await createEntity(t.http, owner);
  });
  afterAll(async () => {
    await t?.close();
  });

  const list = (ip: string, query: string) =>
    t.app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: 'GET',
        url: `/v1/entities/${entityId}/leads?${query}`,
        remoteAddress: ip,
        headers: auth,
      });

  it('answers 429 with Retry-After past SEARCH_THROTTLE_LIMIT searches; reads and other clients go on', async () => {
    for (let i = 0; i < SEARCHES; i++)
      expect((await list('10.2.0.1', `search=ab${i}`)).statusCode).toBe(200);
    const over = await list('10.2.0.1', 'search=abc&page=1');
    expect(over.statusCode).toBe(429);
    expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The same client's lists without a search (or with a blank one) are not searches.
    for (let i = 0; i < SEARCHES * 2; i++) {
      expect((await list('10.2.0.1', 'limit=5')).statusCode).toBe(200);
      expect((await list('10.2.0.1', 'search=%20%20')).statusCode).toBe(200);
    }
    // Another client searches on.
    expect((await list('10.2.0.2', 'search=abc')).statusCode).toBe(200);
  });
});
