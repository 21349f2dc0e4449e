import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { parsePrometheusText, sampleValue } from './support/prometheus-text';
import { registerUser, TestUser } from './support/identity';
import { startTestApp, TestApp } from './support/test-app';

const TOKEN = 'metrics-token-for-the-e2e-suite';
const PROBLEM = /^application\/problem\+json/;

/** A port free right now, for METRICS_PORT. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** GET /metrics (README, "Metrics"), SQLite and PostgreSQL. */
describe('GET /metrics', () => {
  let t: TestApp;
  let user: TestUser;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    t = await startTestApp({
      label: 'metrics',
      env: { METRICS_TOKEN: TOKEN, METRICS_PORT: String(port) },
    });
    user = await registerUser(t.http);
  });
  afterAll(async () => {
    await t?.close();
  });

  const scrape = async () => {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(res.text);
  };

  it.each([
    ['no credentials', {}],
    ['a wrong token', { Authorization: 'Bearer not-the-metrics-token-at-all' }],
    ['the token in another header', { 'X-Health-Token': TOKEN }],
  ])('answers 401 problem+json to %s', async (_, headers) => {
    const res = await t.http.get('/metrics').set(headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(PROBLEM);
  });

  it('answers 401 to a signed-in user: the API’s credentials never open it', async () => {
    const res = await t.http.get('/metrics').set(user.auth);
    expect(res.status).toBe(401);
  });

  it('serves the text format that a strict parser accepts, with every family documented', async () => {
    const families = await scrape();
    for (const name of [
      'http_request_duration_seconds',
      'http_requests_in_flight',
      'http_requests_throttled_total',
      'db_pool_connections',
      'cache_hits_total',
      'cache_misses_total',
      'cornerstone_build_info',
      'nodejs_eventloop_lag_seconds',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(families.get(name)?.help).toBeTruthy();
    }
    expect(families.get('http_request_duration_seconds')!.type).toBe('histogram');
    const info = families.get('cornerstone_build_info')!.samples[0];
    expect(info.value).toBe(1);
    expect(info.labels).toMatchObject({
      database: t.target,
      cache: process.env.REDIS_URL ? 'memory+redis' : 'memory',
      crawl_store: 'sql',
    });
    expect(info.labels.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(sampleValue(families, 'cache_hits_total', { tier: 'memory' })).toBeGreaterThanOrEqual(0);
  });

  it('counts a request in the histogram under its route template and status class', async () => {
    const labels = { method: 'GET', route: '/v1/auth/me', status_class: '2xx' };
    const before = sampleValue(await scrape(), 'http_request_duration_seconds_count', labels);
    await t.http.get('/v1/auth/me').set(user.auth).expect(200);
    await t.http.get('/v1/auth/me').set(user.auth).expect(200);
    const after = await scrape();
    expect(sampleValue(after, 'http_request_duration_seconds_count', labels)).toBe(before + 2);
    const le = { ...labels, le: '+Inf' };
    expect(sampleValue(after, 'http_request_duration_seconds_bucket', le)).toBe(before + 2);
  });

  it('labels by route template, never the raw URL, and puts unmatched paths under one label', async () => {
    const id = randomUUID();
    await t.http.get(`/v1/entities/${id}`).set(user.auth).expect(404);
    await t.http.get(`/no/such/path/${id}`).expect(404);
    const text = (await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`)).text;
    expect(text).not.toContain(id);
    const families = parsePrometheusText(text);
    expect(
      sampleValue(families, 'http_request_duration_seconds_count', {
        route: '/v1/entities/:entityId',
        status_class: '4xx',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(families, 'http_request_duration_seconds_count', { route: 'unmatched' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('counts throttled requests', async () => {
    const before = sampleValue(await scrape(), 'http_requests_throttled_total');
    // The public intake allows 5 submissions a minute per address.
    const url = `/v1/public/entities/${randomUUID()}/leads`;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.http.post(url).field('a', '1')).status);
    const refused = statuses.filter((s) => s === 429).length;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(sampleValue(await scrape(), 'http_requests_throttled_total')).toBe(before + refused);
  });

  it('reports the database pool on PostgreSQL (SQLite has one connection and no pool)', async () => {
    const families = await scrape();
    const pool = families.get('db_pool_connections')!.samples;
    if (t.target === 'postgres') {
      const states = pool.filter((s) => s.labels.pool === 'primary').map((s) => s.labels.state);
      expect(states.sort()).toEqual(['idle', 'in_use', 'waiting']);
      expect(sampleValue(families, 'db_pool_connections', { pool: 'primary', state: 'idle' })).toBe(
        pool.find((s) => s.labels.state === 'idle')!.value,
      );
    } else {
      expect(pool).toEqual([]);
    }
  });

  it('serves /metrics without a token on METRICS_PORT, bound to 127.0.0.1', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const families = parsePrometheusText(await res.text());
    expect(families.has('http_request_duration_seconds')).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});
