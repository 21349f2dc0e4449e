import { FixedClock } from '../../src/common/clock/clock';
import { Principal } from '../../src/common/auth/access';
import { TasksService } from '../../src/tasks/tasks.service';
import { register } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';
import { inject } from './load';

/** Task invariants under real concurrency on PostgreSQL (pool of 10, calls fired together). */

jest.setTimeout(180_000);

const CONFIG = { targetUrl: 'https://example.com/' };

describe('tasks concurrency on PostgreSQL', () => {
  let t: TestApp;
  let tasks: TasksService;
  const clock = new FixedClock(new Date('2026-05-01T00:00:00.000Z'));

  beforeAll(async () => {
    t = await startTestApp({
      label: 'tasks_race',
      clock,
      env: { DATABASE_POOL_SIZE: '10', TASK_LEASE_SWEEP_SECONDS: '0', JWT_EXPIRES_IN: '3650d' },
    });
    tasks = t.app.get(TasksService);
  });
  afterAll(async () => {
    await t?.close();
  });

  const count = async (sql: string, params: unknown[]) =>
    Number((await t.db.query(sql, params))[0].n);
  const tally = (statuses: number[]) =>
    statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
  const principal = (userId: string): Principal => ({ userId, isAdmin: false, via: 'jwt' });

  it('8 claimers over 1,000 pending tasks: every task claimed exactly once', async () => {
    const owner = await register(t, 'claims');
    await t.db.query(
      `INSERT INTO tasks (id, user_id, name, config, status, priority, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'bulk ' || g, '{"targetUrl":"https://example.com/"}'::jsonb, 'pending',
              (g % 7) - 3, now() - g * interval '1 millisecond', now()
       FROM generate_series(1, 1000) g`,
      [owner.id],
    );
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (;;) {
          const task = await tasks.claim(principal(owner.id), {
            workerId: `w${w}`,
            leaseSeconds: 300,
          });
          if (!task) return;
          claimed.push(task.id);
        }
      }),
    );
    expect(claimed).toHaveLength(1000);
    expect(new Set(claimed).size).toBe(1000);
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM tasks WHERE user_id = $1 AND status = 'running' AND attempts = 1`,
        [owner.id],
      ),
    ).toBe(1000);
  });

  it('50 parallel creates on the free plan (1 task at a time): exactly one 201, the rest 409', async () => {
    const user = await register(t, 'creates');
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        inject(t.app, 'POST', '/v1/tasks', {
          token: user.token,
          body: { name: 'race', config: CONFIG },
        }),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 409: 49 });
    for (const r of results.filter((x) => x.status === 409))
      expect(JSON.parse(r.body).type).toBe('/problems/concurrency-limit');
    expect(await count('SELECT COUNT(*) AS n FROM tasks WHERE user_id = $1', [user.id])).toBe(1);
  });

  it('complete racing the lease sweep (20 rounds): one outcome, one charge each time', async () => {
    const user = await register(t, 'sweep-race');
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < 20; round++) {
      const created = await inject(t.app, 'POST', '/v1/tasks', {
        token: user.token,
        body: { name: `round ${round}`, config: CONFIG, maxAttempts: 1 },
      });
      expect(created.status).toBe(201);
      const id = JSON.parse(created.body).id as string;
      const claimed = await tasks.claim(principal(user.id), {
        workerId: 'racer',
        leaseSeconds: 10,
      });
      expect(claimed?.id).toBe(id);
      clock.advance(11_000);
      const [complete] = await Promise.allSettled([
        tasks.complete(principal(user.id), id, { workerId: 'racer', result: { round } }),
        tasks.sweepExpiredLeases(),
      ]);
      const [row] = await t.db.query('SELECT status FROM tasks WHERE id = $1', [id]);
      if (complete.status === 'fulfilled') expect(row.status).toBe('completed');
      else {
        expect((complete.reason as { status?: number }).status).toBe(409);
        expect(row.status).toBe('failed');
      }
      outcomes[row.status] = (outcomes[row.status] ?? 0) + 1;
      expect(
        await count('SELECT COUNT(*) AS n FROM compute_unit_ledger WHERE task_id = $1', [id]),
      ).toBe(1);
    }
    process.stdout.write(`complete vs sweep outcomes: ${JSON.stringify(outcomes)}\n`);
  });
});
