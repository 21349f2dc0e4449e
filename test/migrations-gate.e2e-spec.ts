import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATE_UP } from '../src/database/migrations-gate';
import { startTestApp, TestApp } from './support/test-app';

/** DB_MIGRATE_ON_START=false on an empty database: every migration is pending. */
describe('pending migrations (DB_MIGRATE_ON_START=false)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ label: 'pending', env: { DB_MIGRATE_ON_START: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers API requests with 503 problem+json naming the command to run, not a 500', async () => {
    for (const req of [
      t.http.get('/v1/auth/me'),
      t.http
        .post('/v1/auth/register')
        .send({ email: 'a@example.com', password: 'Correct-Horse-9' }),
      t.http.get('/v1/entities'),
    ]) {
      const res = await req.expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toMatchObject({ status: 503, type: '/problems/unavailable' });
      expect(res.body.detail).toContain(`run: ${MIGRATE_UP}`);
      expect(res.body.detail).toMatch(/Identity\d+/);
    }
  });

  it('is not ready, and readiness names the command the README gives', async () => {
    const res = await t.http.get('/health/ready').expect(503);
    expect(res.body.error.migrations.message).toBe(`Pending migrations: run ${MIGRATE_UP}`);
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(MIGRATE_UP);
    await t.http.get('/health/live').expect(200);
  });

  it('serves again once the migrations are applied, without a restart', async () => {
    await t.db.runMigrations({ transaction: 'each' });
    const deadline = Date.now() + 15_000;
    let status = 503;
    while (status === 503 && Date.now() < deadline) {
      status = (await t.http.get('/v1/auth/me')).status;
      if (status === 503) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(401);
  });
});
