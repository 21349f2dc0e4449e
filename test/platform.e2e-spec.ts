import { startTestApp, TestApp } from './support/test-app';

describe('platform: health, docs, errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ label: 'platform' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers liveness without touching the database', async () => {
    const res = await t.http.get('/health/live').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('is ready with the database up and every migration applied', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database).toEqual({ status: 'up', responseTime: expect.any(Number) });
    expect(res.body.info.migrations).toEqual({ status: 'up', pending: 0 });
    expect(res.body.info.cache.status).toBe('up');
  });

  it('serves the OpenAPI document listing the health routes outside /v1', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/health', '/health/live', '/health/ready']),
    );
    expect(res.body.components.securitySchemes).toHaveProperty('bearer');
    expect(res.body.components.securitySchemes).toHaveProperty('api-key');
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.http.get('/docs').redirects(1).expect(200);
    expect(res.text).toContain('swagger-ui');
  });

  it('echoes a sane X-Request-Id and makes one otherwise', async () => {
    const given = await t.http.get('/health/live').set('X-Request-Id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await t.http
      .get('/health/live')
      .set('X-Request-Id', 'bad id with spaces')
      .expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const res = await t.http.get('/v1/nothing-here').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: '/problems/not-found',
      status: 404,
      instance: '/v1/nothing-here',
    });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });

  it('sets security headers', async () => {
    const res = await t.http.get('/health/live').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('does not ask browsers to upgrade to https unless BEHIND_HTTPS says the deployment has TLS', async () => {
    const res = await t.http.get('/docs').redirects(1).expect(200);
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const tls = await startTestApp({ label: 'tls', env: { BEHIND_HTTPS: 'true' } });
    try {
      const secure = await tls.http.get('/health/live').expect(200);
      expect(secure.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    } finally {
      await tls.close();
    }
  });
});

describe('platform: what is public in production', () => {
  const TOKEN = 'health-token-health-token-0123';
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });
  const start = async (env: Record<string, string>) => {
    const t = await startTestApp({ label: 'exposure', env });
    apps.push(t);
    return t;
  };

  it('serves no /docs or /docs-json in production unless DOCS_ENABLED says so', async () => {
    const prod = await start({ NODE_ENV: 'production' });
    expect(prod.config.docs.enabled).toBe(false);
    for (const url of ['/docs', '/docs-json', '/docs-yaml']) {
      const res = await prod.http.get(url);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const open = await start({ NODE_ENV: 'production', DOCS_ENABLED: 'true' });
    await open.http.get('/docs-json').expect(200);
  });

  it('keeps liveness and readiness public, and /health details for admins or X-Health-Token', async () => {
    const t = await start({ HEALTH_DETAILS_TOKEN: TOKEN });
    await t.http.get('/health/live').expect(200);
    await t.http.get('/health/ready').expect(200);
    const anonymous = await t.http.get('/health');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anonymous.text).not.toContain('database');
    expect(
      (await t.http.get('/health').set('X-Health-Token', 'wrong-token-wrong-token')).status,
    ).toBe(401);
    const withToken = await t.http.get('/health').set('X-Health-Token', TOKEN).expect(200);
    expect(withToken.body.details.database.status).toBe('up');
  });

  it('answers 50 concurrent readiness probes (they share the run in flight)', async () => {
    const t = apps[apps.length - 1];
    const fastify = t.app.getHttpAdapter().getInstance();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => fastify.inject({ method: 'GET', url: '/health/ready' })),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
  });
});

describe('platform: CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ label: 'cors', env: { CORS_ORIGINS: 'https://app.example' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(['PATCH', 'DELETE', 'PUT', 'POST', 'GET'])(
    'lets a browser on an allowed origin send %s cross-origin',
    async (method) => {
      const res = await t.http
        .options('/v1/users/me')
        .set('Origin', 'https://app.example')
        .set('Access-Control-Request-Method', method)
        .set('Access-Control-Request-Headers', 'authorization,if-match,content-type');
      expect(res.status).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(String(res.headers['access-control-allow-methods']).split(/\s*,\s*/)).toContain(
        method,
      );
    },
  );

  it('exposes ETag, so a browser client can send If-Match', async () => {
    const res = await t.http.get('/health/live').set('Origin', 'https://app.example').expect(200);
    expect(String(res.headers['access-control-expose-headers'])).toContain('ETag');
  });
});

/** A tiny route is needed to post bodies at: the OpenAPI-driven hostile-input suite covers the rest. */
describe('platform: bodies that never reach a handler', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ label: 'bodies' });
  });
  afterAll(async () => {
    await t.close();
  });

  const post = () => t.http.post('/v1/auth/login');

  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await post().set('Content-Type', 'application/json').send('{"login": ').expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, type: '/problems/invalid-request' });
  });

  it('answers a text/plain body with 415', async () => {
    const res = await post().set('Content-Type', 'text/plain').send('hello').expect(415);
    expect(res.body).toMatchObject({ status: 415, type: '/problems/unsupported-media-type' });
  });

  it('answers a 2 MiB body with 413', async () => {
    const big = JSON.stringify({ login: 'x'.repeat(2 * 1024 * 1024) });
    const res = await post().set('Content-Type', 'application/json').send(big).expect(413);
    expect(res.body).toMatchObject({ status: 413, type: '/problems/payload-too-large' });
  });

  it('refuses JSON nested 10,000 deep with 400, not a crash', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const res = await post().set('Content-Type', 'application/json').send(deep).expect(400);
    expect(res.body.detail).toMatch(/nested/);
  });

  it('refuses prototype-pollution keys with 400', async () => {
    const res = await post()
      .set('Content-Type', 'application/json')
      .send('{"login":"a","password":"b","__proto__":{"polluted":true}}')
      .expect(400);
    expect(res.body.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
