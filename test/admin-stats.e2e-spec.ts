import { randomUUID } from 'node:crypto';
import { SystemLogService } from '../src/analytics/system-log.service';
import { CacheKeys } from '../src/cache/cache-keys';
import { CacheService } from '../src/cache/cache.service';
import { FixedClock } from '../src/common/clock/clock';
import { ADMIN_ENV, Actor, createEntity, deactivate, loginAdmin, register } from './support/actors';
import { startTestApp, testTarget, TestApp } from './support/test-app';

const DAY_MS = 24 * 60 * 60 * 1000;

interface Stats {
  generatedAt: string;
  counts: {
    users: { total: number; active: number };
    entities: { total: number; active: number };
    leads: { total: number; PENDING: number; REACHED_OUT: number };
    tasks: Record<string, number>;
    crawls: number;
    analysesLast7Days: number;
  };
  database: {
    driver: string;
    sizeBytes: number;
    tables: Record<string, { rows: number; exact: boolean; sizeBytes: number }>;
    pool: {
      max: number;
      total: number;
      inUse: number | null;
      idle: number | null;
      waiting: number | null;
    };
  };
  cache: {
    store: string;
    redisUp: boolean | null;
    hits: number;
    misses: number;
    hitRatio: number | null;
  };
}

describe('GET /v1/admin/stats', () => {
  let t: TestApp;
  let admin: Actor;
  const clock = new FixedClock(new Date());
  const bearer = (who: Actor) => ({ Authorization: `Bearer ${who.token}` });

  async function stats(): Promise<Stats> {
    const res = await t.http.get('/v1/admin/stats').set(bearer(admin)).expect(200);
    return res.body as Stats;
  }
  /** Drops the cached answer, so the next call gathers again. */
  const forget = () => t.app.get(CacheService).del(CacheKeys.systemStats());

  async function lead(owner: Actor, entityId: string, status?: 'REACHED_OUT'): Promise<void> {
    const created = await t.http
      .post(`/v1/entities/${entityId}/leads`)
      .set(bearer(owner))
      .send({
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: `lead-${randomUUID().slice(0, 8)}@example.com`,
      })
      .expect(201);
    if (!status) return;
    await t.http
      .patch(`/v1/entities/${entityId}/leads/${created.body.id}`)
      .set(bearer(owner))
      .send({ status })
      .expect(200);
  }

  /** A data analysis row created `daysAgo` days before the clock (no route creates them yet). */
  async function analysis(userId: string, daysAgo: number): Promise<void> {
    const at = new Date(clock.now().getTime() - daysAgo * DAY_MS);
    const postgres = t.target === 'postgres';
    await t.db.query(
      postgres
        ? `INSERT INTO data_analyses (id, user_id, name, analysis_type, parameters, created_at, updated_at)
           VALUES ($1, $2, 'n', 't', '{}', $3, $3)`
        : `INSERT INTO data_analyses (id, user_id, name, analysis_type, parameters, created_at, updated_at)
           VALUES (?, ?, 'n', 't', '{}', ?, ?)`,
      postgres
        ? [randomUUID(), userId, at.toISOString()]
        : [randomUUID(), userId, ...Array(2).fill(at.toISOString().replace('T', ' ').slice(0, 23))],
    );
  }

  beforeAll(async () => {
    t = await startTestApp({ label: 'admin_stats', clock, env: { ...ADMIN_ENV } });
    admin = await loginAdmin(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 without credentials and 403 to a user who is not a platform admin', async () => {
    await t.http.get('/v1/admin/stats').expect(401);
    const user = await register(t, 'not-admin');
    await t.http.get('/v1/admin/stats').set(bearer(user)).expect(403);
  });

  it('counts what was created, and serves the same answer for 60 s (cache key system_stats)', async () => {
    await forget();
    const before = await stats();

    const owner = await register(t, 'stats-owner');
    const leaver = await register(t, 'stats-leaver');
    await deactivate(t, admin, leaver);
    const entityId = await createEntity(t, owner);
    const deleted = await createEntity(t, owner);
    await t.http.delete(`/v1/entities/${deleted}`).set(bearer(owner)).expect(204);
    await lead(owner, entityId);
    await lead(owner, entityId);
    await lead(owner, entityId, 'REACHED_OUT');
    await t.http
      .post('/v1/tasks')
      .set(bearer(owner))
      .send({ name: 'Scrape', config: { targetUrl: 'https://example.com/products' } })
      .expect(201);
    await t.http
      .post(`/v1/entities/${entityId}/crawls`)
      .set(bearer(owner))
      .send({ websiteUrl: 'https://stats.example.com/' })
      .expect(201);
    await analysis(owner.id, 1);
    await analysis(owner.id, 8); // outside the 7 days

    // Still the cached answer: nothing changed, not even generatedAt.
    expect(await stats()).toMatchObject({
      generatedAt: before.generatedAt,
      counts: before.counts,
    });

    await forget();
    const after = await stats();
    const b = before.counts;
    expect(after.counts).toEqual({
      users: { total: b.users.total + 2, active: b.users.active + 1 },
      entities: { total: b.entities.total + 2, active: b.entities.active + 1 },
      leads: {
        total: b.leads.total + 3,
        PENDING: b.leads.PENDING + 2,
        REACHED_OUT: b.leads.REACHED_OUT + 1,
      },
      tasks: { ...b.tasks, total: b.tasks.total + 1, pending: b.tasks.pending + 1 },
      crawls: b.crawls + 1,
      analysesLast7Days: b.analysesLast7Days + 1,
    });
    expect(after.generatedAt).toBe(clock.now().toISOString());

    // Another lead: within the 60 s the cached answer still shows the old count.
    await lead(owner, entityId);
    expect((await stats()).counts.leads.total).toBe(after.counts.leads.total);
    await forget();
    expect((await stats()).counts.leads.total).toBe(after.counts.leads.total + 1);
  });

  it('reports the database size, every table of the schema and the connection pool', async () => {
    await forget();
    const { database, counts } = await stats();
    expect(database.driver).toBe(t.target);
    expect(database.sizeBytes).toBeGreaterThan(0);
    const names = Object.keys(database.tables);
    for (const table of [
      'users',
      'entities',
      'user_memberships',
      'leads',
      'tasks',
      'task_logs',
      'website_crawl_data',
      'system_logs',
      'data_analyses',
      'migrations',
    ]) {
      expect(names).toContain(table);
    }
    for (const table of Object.values(database.tables)) {
      expect(table.rows).toBeGreaterThanOrEqual(0);
      expect(table.sizeBytes).toBeGreaterThan(0);
    }
    if (t.target === 'sqlite') {
      // Exact counts on SQLite.
      expect(database.tables.users).toMatchObject({ rows: counts.users.total, exact: true });
      expect(database.tables.leads).toMatchObject({ rows: counts.leads.total, exact: true });
      expect(names.some((n) => n.startsWith('sqlite_'))).toBe(false);
      expect(database.pool).toEqual({ max: 1, total: 1, inUse: null, idle: null, waiting: null });
    } else {
      // Estimates on PostgreSQL; system_logs' partitions are summed into it, not listed.
      expect(database.tables.users.exact).toBe(false);
      expect(names.filter((n) => n.startsWith('system_logs_'))).toEqual([]);
      const { pool } = database;
      expect(pool.max).toBe(t.config.database.poolSize);
      expect(pool.total).toBeGreaterThanOrEqual(1);
      expect(pool.total).toBeLessThanOrEqual(pool.max);
      expect(pool.inUse! + pool.idle!).toBe(pool.total);
      expect(pool.waiting).toBeGreaterThanOrEqual(0);
    }
  });

  // SQLite counts exactly (above); PostgreSQL estimates from its statistics.
  (testTarget === 'postgres' ? it : it.skip)(
    'has PostgreSQL estimates catch up with the rows written, partitions summed (statistics flush within seconds)',
    async () => {
      // system_logs is partitioned: its rows are in the partitions, summed into the parent.
      const events = t.app.get(SystemLogService);
      for (let i = 0; i < 3; i++) events.log('maintenance', 'INFO', `stats probe ${i}`);
      await events.flush();
      const [{ n }] = await t.db.query('SELECT COUNT(*) AS n FROM system_logs');
      const logRows = Number(n);
      expect(logRows).toBeGreaterThanOrEqual(3);
      let latest = await stats();
      const deadline = Date.now() + 15_000;
      const caughtUp = ({ database, counts }: Stats) =>
        database.tables.leads.rows === counts.leads.total &&
        database.tables.system_logs.rows === logRows &&
        database.tables.migrations.rows > 0;
      while (!caughtUp(latest)) {
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
        await forget();
        latest = await stats();
      }
      expect(latest.counts.leads.total).toBeGreaterThan(0);
      expect(latest.database.tables.leads.rows).toBe(latest.counts.leads.total);
      expect(latest.database.tables.system_logs.rows).toBe(logRows);
      expect(latest.database.tables.migrations.rows).toBeGreaterThan(0);
    },
  );

  it('reports the cache: Redis up when configured (none on SQLite), hits and misses of this process', async () => {
    await forget();
    const first = await stats();
    const second = await stats(); // from the cache
    if (process.env.REDIS_URL) {
      expect(first.cache).toMatchObject({ store: 'memory+redis', redisUp: true });
    } else {
      expect(first.cache).toMatchObject({ store: 'memory', redisUp: null });
    }
    const { hits, misses, hitRatio } = first.cache;
    expect(hits + misses).toBeGreaterThan(0);
    expect(hitRatio).toBeCloseTo(hits / (hits + misses), 10);
    expect(second.cache).toEqual(first.cache);
  });

  it('ignores a query string instead of failing on it', async () => {
    await t.http.get('/v1/admin/stats?limit=abc&x[$ne]=1').set(bearer(admin)).expect(200);
  });
});
