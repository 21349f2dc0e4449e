import { FixedClock } from '../../src/common/clock/clock';
import { SystemLogPartitions } from '../../src/analytics/system-log-partitions';
import { SystemLogService } from '../../src/analytics/system-log.service';
import { partitionName, monthStart } from '../../src/analytics/system-logs.repository';
import { ADMIN_ENV, Actor, loginAdmin, register } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';

const PROBLEM = /^application\/problem\+json/;

describe('system logs', () => {
  let t: TestApp;
  let admin: Actor;
  let user: Actor;
  const clock = new FixedClock(new Date());
  const bearer = (who: Actor) => ({ Authorization: `Bearer ${who.token}` });
  const logs = () => t.app.get(SystemLogService);
  const count = async () =>
    Number((await t.db.query('SELECT COUNT(*) AS n FROM system_logs'))[0].n);

  beforeAll(async () => {
    t = await startTestApp({
      label: 'syslogs',
      clock,
      env: { ...ADMIN_ENV, JWT_EXPIRES_IN: '3650d', SYSTEM_LOG_PARTITION_SECONDS: '0' },
    });
    admin = await loginAdmin(t);
    user = await register(t, 'plain');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('buffers a burst without blocking and writes it in batches', async () => {
    await logs().flush();
    const before = await count();
    const started = Date.now();
    for (let i = 0; i < 450; i++) {
      clock.advance(1);
      logs().log('tasks', i % 2 ? 'ERROR' : 'INFO', `burst line ${i}`, { i });
    }
    expect(Date.now() - started).toBeLessThan(200);
    await logs().flush();
    expect((await count()) - before).toBe(450);
  });

  it('lists newest first with filters and keyset pages', async () => {
    clock.advance(1000);
    logs().log({
      service: 'billing',
      level: 'WARNING',
      message: 'Webhook 100%_rejected',
      details: { a: 1 },
    });
    clock.advance(1);
    logs().log('billing', 'CRITICAL', 'Plan changed to starter');
    const res = await t.http
      .get('/v1/admin/system-logs?service=billing&limit=1')
      .set(bearer(admin))
      .expect(200);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({ service: 'billing', level: 'CRITICAL' });
    const next = await t.http
      .get(`/v1/admin/system-logs?service=billing&limit=1&cursor=${res.body.nextCursor}`)
      .set(bearer(admin))
      .expect(200);
    expect(next.body.items[0]).toMatchObject({ level: 'WARNING', details: { a: 1 } });

    const q = await t.http
      .get(`/v1/admin/system-logs?q=${encodeURIComponent('100%_rej')}`)
      .set(bearer(admin))
      .expect(200);
    expect(q.body.items.map((x: { message: string }) => x.message)).toEqual([
      'Webhook 100%_rejected',
    ]);
    const errors = await t.http
      .get('/v1/admin/system-logs?service=tasks&level=ERROR&limit=100')
      .set(bearer(admin))
      .expect(200);
    expect(errors.body.items).toHaveLength(100);
    expect(errors.body.items.every((x: { level: string }) => x.level === 'ERROR')).toBe(true);
    const from = clock.now().toISOString();
    const recent = await t.http
      .get(`/v1/admin/system-logs?from=${from}&to=${clock.now().toISOString()}`)
      .set(bearer(admin))
      .expect(200);
    expect(recent.body.items).toHaveLength(1);
  });

  it('answers 400 to unknown level or service, bad dates and from after to; 403 to non-admins', async () => {
    for (const query of [
      'level=LOUD',
      'level=info',
      'service=nope',
      'from=yesterday',
      'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      `q=${'x'.repeat(201)}`,
    ]) {
      const res = await t.http.get(`/v1/admin/system-logs?${query}`).set(bearer(admin));
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    }
    await t.http.get('/v1/admin/system-logs').set(bearer(user)).expect(403);
    await t.http.get('/v1/admin/system-logs').expect(401);
  });

  it('writes what is buffered when the app closes', async () => {
    const other = await startTestApp({ label: 'syslogs_close' });
    for (let i = 0; i < 7; i++) other.app.get(SystemLogService).log('tasks', 'INFO', `close ${i}`);
    const db = other.db;
    // The buffer is written in beforeApplicationShutdown, before the DataSource closes.
    const seen: number[] = [];
    const original = db.destroy.bind(db);
    db.destroy = async () => {
      seen.push(Number((await db.query('SELECT COUNT(*) AS n FROM system_logs'))[0].n));
      return original();
    };
    await other.close();
    expect(seen).toEqual([7]);
  });

  if (process.env.CORNERSTONE_TEST_TARGET === 'postgres') {
    it('has partitions for this and next month; upkeep keeps two ahead and moves default rows', async () => {
      const partitions = async () =>
        (
          await t.db.query(
            `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'system_logs'::regclass ORDER BY 1`,
          )
        ).map((r: { name: string }) => r.name);
      const now = new Date();
      const names = await partitions();
      expect(names).toEqual(
        expect.arrayContaining([
          partitionName(monthStart(now)),
          partitionName(monthStart(now, 1)),
          'system_logs_default',
        ]),
      );
      // A row far ahead lands in the default partition, and moves when its month is created.
      const far = new Date(Date.UTC(now.getUTCFullYear() + 2, 5, 15));
      clock.set(far);
      logs().log('maintenance', 'INFO', 'from the future');
      await logs().flush();
      const where = async () =>
        (
          await t.db.query(
            `SELECT tableoid::regclass::text AS p FROM system_logs WHERE message = 'from the future'`,
          )
        )[0].p;
      expect(await where()).toBe('system_logs_default');
      const created = await t.app.get(SystemLogPartitions).ensureAhead();
      expect(created).toEqual([0, 1, 2].map((i) => partitionName(monthStart(far, i))));
      expect(await where()).toBe(partitionName(monthStart(far)));
      expect(await t.app.get(SystemLogPartitions).ensureAhead()).toEqual([]);
      clock.set(new Date());
    });
  }
});
