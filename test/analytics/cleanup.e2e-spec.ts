import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemLogPartitions } from '../../src/analytics/system-log-partitions';
import { SystemLogService } from '../../src/analytics/system-log.service';
import { FixedClock } from '../../src/common/clock/clock';
import { ADMIN_ENV, Actor, loginAdmin, register } from '../support/actors';
import { runCli } from '../support/cli';
import { startTestApp, testTarget, TestApp } from '../support/test-app';

const CONFIG = { targetUrl: 'https://example.com/products' };

describe('maintenance cleanup', () => {
  let t: TestApp;
  let admin: Actor;
  let owner: Actor;
  let uploads: string;
  let workerKey: string;
  // January 2026: its whole system_logs partition is older than the cutoff used below.
  const clock = new FixedClock(new Date('2026-01-10T12:00:00.000Z'));
  const bearer = (who: Actor) => ({ Authorization: `Bearer ${who.token}` });
  const logs = () => t.app.get(SystemLogService);
  const n = async (sql: string) => Number((await t.db.query(sql))[0].n);

  /** A task of the owner, claimed, with `lines` log lines, completed; its id. */
  async function taskWithLogs(lines: string[]): Promise<string> {
    const created = await t.http
      .post('/v1/tasks')
      .set(bearer(owner))
      .send({ name: 'Scrape', config: CONFIG })
      .expect(201);
    const id = created.body.id as string;
    await t.http
      .post('/v1/tasks/claim')
      .set('X-API-Key', workerKey)
      .send({ workerId: 'w', leaseSeconds: 60 })
      .expect(200);
    await t.http
      .post(`/v1/tasks/${id}/logs`)
      .set('X-API-Key', workerKey)
      .send({ entries: lines.map((message) => ({ level: 'info', message })) })
      .expect(201);
    await t.http
      .post(`/v1/tasks/${id}/complete`)
      .set('X-API-Key', workerKey)
      .send({ workerId: 'w' })
      .expect(200);
    return id;
  }

  beforeAll(async () => {
    uploads = mkdtempSync(join(tmpdir(), 'cs-cleanup-uploads-'));
    t = await startTestApp({
      label: 'cleanup',
      clock,
      env: {
        ...ADMIN_ENV,
        JWT_EXPIRES_IN: '3650d',
        SYSTEM_LOG_PARTITION_SECONDS: '0',
        TASK_LEASE_SWEEP_SECONDS: '0',
        UPLOAD_DIR: uploads,
      },
    });
    await t.app.get(SystemLogPartitions).ensureAhead(); // January–March 2026 on PostgreSQL
    admin = await loginAdmin(t);
    owner = await register(t, 'cleanup');
    const key = await t.http
      .post('/v1/api-keys')
      .set(bearer(owner))
      .send({ name: 'worker', scopes: ['tasks:work'] })
      .expect(201);
    workerKey = key.body.key;
  });
  afterAll(async () => {
    await t?.close();
    rmSync(uploads, { recursive: true, force: true });
  });

  it('is for platform admins only and refuses bad ages with 400, deleting nothing', async () => {
    logs().log('tasks', 'INFO', 'kept event');
    await logs().flush();
    const before = await n('SELECT COUNT(*) AS n FROM system_logs');
    await t.http
      .post('/v1/admin/maintenance/cleanup')
      .set(bearer(owner))
      .send({ olderThanDays: 1 })
      .expect(403);
    for (const olderThanDays of [0, -1, 3651, 1.5, '30', null]) {
      const res = await t.http
        .post('/v1/admin/maintenance/cleanup')
        .set(bearer(admin))
        .send({ olderThanDays });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await n('SELECT COUNT(*) AS n FROM system_logs')).toBe(before);
  });

  it('deletes old logs, task logs and finished generations in batches, keeps the rest, drops old partitions', async () => {
    // January: three events, a task with two log lines, a completed and a pending generation.
    for (const i of [1, 2, 3]) logs().log('tasks', 'INFO', `old event ${i}`);
    await taskWithLogs(['old line 1', 'old line 2']);
    const done = await t.http
      .post('/v1/tool-generations')
      .set(bearer(owner))
      .send({ toolType: 'scraper', config: {} })
      .expect(201);
    await t.http
      .patch(`/v1/tool-generations/${done.body.id}`)
      .set(bearer(owner))
      .send({ status: 'completed', result: { ok: true } })
      .expect(200);
    const pending = await t.http
      .post('/v1/tool-generations')
      .set(bearer(owner))
      .send({ toolType: 'scraper', config: {} })
      .expect(201);
    // A completed analysis with a stored file, and a pending one.
    const analysis = (name: string) =>
      t.http
        .post('/v1/analyses')
        .set(bearer(owner))
        .send({ name, analysisType: 'summary', parameters: {} })
        .expect(201);
    const finished = await analysis('old finished');
    await t.http
      .post(`/v1/analyses/${finished.body.id}/files`)
      .set(bearer(owner))
      .attach('file', Buffer.from('a,b\n1,2\n'), { filename: 'd.csv', contentType: 'text/csv' })
      .expect(201);
    const [{ storageKey }] = await t.db.query(
      `SELECT storage_key AS "storageKey" FROM analysis_files WHERE analysis_id = '${finished.body.id}'`,
    );
    const storedFile = join(uploads, storageKey as string);
    expect(existsSync(storedFile)).toBe(true);
    await t.http
      .patch(`/v1/analyses/${finished.body.id}`)
      .set(bearer(owner))
      .send({ status: 'completed', result: { ok: true } })
      .expect(200);
    const unfinished = await analysis('old pending');
    await logs().flush();

    // 69 days later (20 March): new data that must survive a 30-day cleanup.
    clock.advance(69 * 24 * 3600 * 1000);
    logs().log('tasks', 'INFO', 'new event');
    const fresh = await taskWithLogs(['new line']);
    await logs().flush();
    const oldEvents = await n(
      `SELECT COUNT(*) AS n FROM system_logs WHERE created_at < '2026-02-18T12:00:00.000Z'`,
    );
    expect(oldEvents).toBeGreaterThanOrEqual(4); // the three above and the 'kept event' (January)

    const res = await t.http
      .post('/v1/admin/maintenance/cleanup')
      .set(bearer(admin))
      .send({ olderThanDays: 30 })
      .expect(200);
    expect(res.body).toEqual({
      olderThanDays: 30,
      cutoff: '2026-02-18T12:00:00.000Z',
      deleted: {
        systemLogs: oldEvents,
        taskLogs: 2,
        toolGenerations: 1,
        analyses: 1,
        resumesOfDeletedEntities: 0,
      },
      droppedPartitions: testTarget === 'postgres' ? ['system_logs_2026_01'] : [],
    });

    expect(
      await n(
        `SELECT COUNT(*) AS n FROM system_logs WHERE created_at < '2026-02-18T12:00:00.000Z'`,
      ),
    ).toBe(0);
    expect(await n(`SELECT COUNT(*) AS n FROM system_logs WHERE message = 'new event'`)).toBe(1);
    const lines = await t.db.query('SELECT message, task_id FROM task_logs');
    expect(lines).toEqual([{ message: 'new line', task_id: fresh }]);
    const left = await t.http.get('/v1/tool-generations').set(bearer(owner)).expect(200);
    expect(left.body.items.map((g: { id: string }) => g.id)).toEqual([pending.body.id]);
    const analysesLeft = await t.http.get('/v1/analyses').set(bearer(owner)).expect(200);
    expect(analysesLeft.body.items.map((a: { id: string }) => a.id)).toEqual([unfinished.body.id]);
    await t.http.get(`/v1/analyses/${finished.body.id}`).set(bearer(owner)).expect(404);
    expect(existsSync(storedFile)).toBe(false);
    expect(
      await n(`SELECT COUNT(*) AS n FROM analysis_files WHERE analysis_id = '${finished.body.id}'`),
    ).toBe(0);
    if (testTarget === 'postgres') {
      const partitions = await t.db.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'system_logs'::regclass ORDER BY 1`,
      );
      const names = partitions.map((p: { name: string }) => p.name);
      expect(names).not.toContain('system_logs_2026_01');
      expect(names).toEqual(expect.arrayContaining(['system_logs_2026_02', 'system_logs_2026_03']));
    }

    // The run is itself a system event, with its counts.
    const events = await t.http
      .get('/v1/admin/system-logs?service=maintenance')
      .set(bearer(admin))
      .expect(200);
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0].details).toMatchObject({
      olderThanDays: 30,
      deleted: { taskLogs: 2, toolGenerations: 1 },
    });

    // Nothing left to delete: a second run deletes nothing.
    const again = await t.http
      .post('/v1/admin/maintenance/cleanup')
      .set(bearer(admin))
      .send({ olderThanDays: 30 })
      .expect(200);
    expect(again.body.deleted).toEqual({
      systemLogs: 0,
      taskLogs: 0,
      toolGenerations: 0,
      analyses: 0,
      resumesOfDeletedEntities: 0,
    });
  });

  it('runs from the CLI (cleanup --days) and refuses a bad --days with exit code 1', () => {
    // The suite's SQLite database is in memory: the CLI gets a migrated file of its own.
    const dir = mkdtempSync(join(tmpdir(), 'cs-cleanup-'));
    const url =
      testTarget === 'postgres' ? t.config.database.url : `sqlite:${join(dir, 'cli.sqlite')}`;
    const cli = (args: string[]) => runCli(url, args);
    try {
      if (testTarget === 'sqlite') expect(cli(['migrate', 'up']).status).toBe(0);
      const bad = cli(['cleanup', '--days', '0']);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/--days/);
      const ok = cli(['cleanup', '--days', '3650']);
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(
        /^Deleted before \S+: 0 system logs, 0 task log lines, 0 tool generations, 0 analyses$/m,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
