import { FixedClock } from '../../src/common/clock/clock';
import { UsageService } from '../../src/analytics/usage.service';
import { ADMIN_ENV, Actor, loginAdmin, register } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';

const PROBLEM = /^application\/problem\+json/;

describe('usage analytics', () => {
  let t: TestApp;
  let admin: Actor;
  const clock = new FixedClock(new Date('2026-03-10T12:00:00.000Z'));
  const bearer = (who: Actor) => ({ Authorization: `Bearer ${who.token}` });
  const usage = () => t.app.get(UsageService);

  beforeAll(async () => {
    t = await startTestApp({
      label: 'usage',
      clock,
      env: { ...ADMIN_ENV, JWT_EXPIRES_IN: '3650d', TASK_LEASE_SWEEP_SECONDS: '0' },
    });
    admin = await loginAdmin(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts API calls and recorded task usage per UTC day, and answers daily rows with totals', async () => {
    const user = await register(t, 'usage');
    await usage().flush();
    for (let i = 0; i < 3; i++) await t.http.get('/v1/auth/me').set(bearer(user)).expect(200);
    usage().record({ userId: user.id, tasksCreated: 2, computeUnits: 5 });
    await usage().flush();
    clock.advance(86_400_000);
    usage().record({ userId: user.id, tasksCompleted: 1, tasksFailed: 1, computeUnits: 3 });
    await usage().flush();

    const res = await t.http
      .get('/v1/analytics/usage?from=2026-03-01&to=2026-03-31')
      .set(bearer(user))
      .expect(200);
    expect(res.body.userId).toBe(user.id);
    expect(res.body.days).toEqual([
      {
        date: '2026-03-10',
        tasksCreated: 2,
        tasksCompleted: 0,
        tasksFailed: 0,
        computeUnitsConsumed: 5,
        apiCalls: 3,
      },
      // This report call is counted in memory after the last flush: 03-11 has no API call yet.
      {
        date: '2026-03-11',
        tasksCreated: 0,
        tasksCompleted: 1,
        tasksFailed: 1,
        computeUnitsConsumed: 3,
        apiCalls: 0,
      },
    ]);
    expect(res.body.totals).toEqual({
      tasksCreated: 2,
      tasksCompleted: 1,
      tasksFailed: 1,
      computeUnitsConsumed: 8,
      apiCalls: 3,
    });
    await usage().flush();
    const rows = await t.db.query(
      `SELECT api_calls AS n FROM usage_analytics WHERE user_id = '${user.id}' ORDER BY date`,
    );
    expect(rows.map((r: { n: unknown }) => Number(r.n))).toEqual([3, 1]);
  });

  it('counts only the calls the access guard admitted (not a 403 or a non-member 404)', async () => {
    const user = await register(t, 'usage-denied');
    const apiCalls = async () => {
      await usage().flush();
      const rows = await t.db.query(
        `SELECT api_calls AS n FROM usage_analytics WHERE user_id = '${user.id}'`,
      );
      return rows.reduce((sum: number, r: { n: unknown }) => sum + Number(r.n), 0);
    };
    await t.http.get('/v1/admin/stats').set(bearer(user)).expect(403);
    await t.http
      .get('/v1/entities/00000000-0000-4000-8000-000000000000/leads')
      .set(bearer(user))
      .expect(404);
    expect(await apiCalls()).toBe(0);
    await t.http.get('/v1/auth/me').set(bearer(user)).expect(200);
    expect(await apiCalls()).toBe(1);
  });

  it('adds increments to the same row (never overwrites) across flushes', async () => {
    const user = await register(t, 'adds');
    for (let i = 0; i < 4; i++) {
      usage().record({ userId: user.id, apiCalls: 10 });
      await usage().flush();
    }
    const [row] = await t.db.query(
      `SELECT COUNT(*) AS c, SUM(api_calls) AS n FROM usage_analytics WHERE user_id = '${user.id}'`,
    );
    expect(Number(row.c)).toBe(1);
    expect(Number(row.n)).toBe(40);
  });

  it('lets a platform admin read another user, and answers 403 to anyone else', async () => {
    const user = await register(t, 'target');
    const other = await register(t, 'other');
    usage().record({ userId: user.id, tasksCreated: 7 });
    await usage().flush();
    const day = clock.now().toISOString().slice(0, 10);
    const res = await t.http
      .get(`/v1/analytics/usage?from=${day}&to=${day}&userId=${user.id}`)
      .set(bearer(admin))
      .expect(200);
    expect(res.body.totals.tasksCreated).toBe(7);
    const denied = await t.http
      .get(`/v1/analytics/usage?userId=${user.id}`)
      .set(bearer(other))
      .expect(403);
    expect(denied.headers['content-type']).toMatch(PROBLEM);
    // Your own id is fine.
    await t.http.get(`/v1/analytics/usage?userId=${other.id}`).set(bearer(other)).expect(200);
  });

  it('answers 400 to from after to, ranges over 366 days and bad dates', async () => {
    const user = await register(t, 'bad');
    for (const query of [
      'from=2026-03-02&to=2026-03-01',
      'from=2025-01-01&to=2026-01-02',
      'from=2026-02-30&to=2026-03-01',
      'from=yesterday',
      'to=2026-13-01',
      'userId=not-a-uuid',
    ]) {
      const res = await t.http.get(`/v1/analytics/usage?${query}`).set(bearer(user));
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    }
    // 366 days inclusive is allowed.
    await t.http
      .get('/v1/analytics/usage?from=2025-01-01&to=2026-01-01')
      .set(bearer(user))
      .expect(200);
  });

  it('answers 401 without credentials', async () => {
    await t.http.get('/v1/analytics/usage').expect(401);
  });
});
