import { ADMIN_ENV } from '../support/actors';
import { AppProcess, call } from './app-process';
import { pairSuite, register, useTwoInstances } from './instance-pair';

/**
 * Task claim + complete through one instance, then spread over two: every task is claimed
 * exactly once whatever instance its worker talks to, and the throughput of each layout is
 * printed (SCALING.md quotes it; on the shared 2-core machine it is a rough, noisy figure, so
 * it is reported, not asserted).
 */
jest.setTimeout(180_000);

const suite = pairSuite('task-claims');

/** Tasks per run, spread over this many owners (so completes do not all lock one subscription). */
const TASKS = 1_500;
const OWNERS = 8;

suite('task claims through one and two instances', () => {
  const pair = useTwoInstances({
    THROTTLE_LIMIT: '1000000',
    DATABASE_POOL_SIZE: '10',
    ...ADMIN_ENV,
  });

  it('claims every task exactly once, through one instance and through two', async () => {
    const owners = await Promise.all(
      Array.from({ length: OWNERS }, (_, i) => register(pair.a.url, `owner${i}`)),
    );
    const ownerIds = owners.map((o) => o.id);
    const admin = await call(pair.a.url, 'POST', '/v1/auth/login', {
      body: { login: ADMIN_ENV.ADMIN_EMAIL, password: ADMIN_ENV.ADMIN_PASSWORD },
    });
    expect(admin.status).toBe(200);
    const token = admin.body.accessToken as string;

    /** A fleet of `workers` (platform admin: any owner's tasks), worker w on instances[w % n]. */
    const run = async (label: string, instances: AppProcess[], workers: number) => {
      await pair.db.query(
        `INSERT INTO tasks (id, user_id, name, config, status, priority, created_at, updated_at)
         SELECT gen_random_uuid(), ($1::uuid[])[1 + g % $3::int], $4 || ' ' || g,
                '{"targetUrl":"https://example.com/"}'::jsonb, 'pending', (g % 7) - 3,
                now() - g * interval '1 millisecond', now()
         FROM generate_series(1, $2::int) g`,
        [ownerIds, TASKS, OWNERS, label],
      );
      await pair.db.query('ANALYZE tasks');
      const claimed: string[] = [];
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          const base = instances[w % instances.length].url;
          const workerId = `${label}-w${w}`;
          for (;;) {
            const task = await call(base, 'POST', '/v1/tasks/claim', {
              token,
              body: { workerId, leaseSeconds: 300 },
            });
            if (task.status === 204) return;
            expect(task.status).toBe(200);
            claimed.push(task.body.id as string);
            const done = await call(base, 'POST', `/v1/tasks/${task.body.id}/complete`, {
              token,
              body: { workerId, result: { ok: true } },
            });
            expect(done.status).toBe(200);
          }
        }),
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      expect(claimed).toHaveLength(TASKS);
      expect(new Set(claimed).size).toBe(TASKS);
      const { rows } = await pair.db.query(
        `SELECT COUNT(*)::int AS n FROM tasks
         WHERE name LIKE $1 || ' %' AND status = 'completed' AND attempts = 1`,
        [label],
      );
      expect(rows[0].n).toBe(TASKS);
      const perSecond = Math.round(TASKS / seconds);
      process.stdout.write(
        `task claims: ${label}: ${TASKS} claimed + completed in ${seconds.toFixed(2)} s = ${perSecond} tasks/s (${2 * perSecond} req/s)\n`,
      );
      return perSecond;
    };

    // Warm both instances (JIT, pools, prepared statements) before measuring.
    await run('warm', [pair.a, pair.b], 8);
    const one = await run('one-instance-8-workers', [pair.a], 8);
    const two = await run('two-instances-8-workers', [pair.a, pair.b], 8);
    const twoMore = await run('two-instances-16-workers', [pair.a, pair.b], 16);
    process.stdout.write(
      `task claims: two/one instance at 8 workers ${(two / one).toFixed(2)}; at 16 workers ${(twoMore / one).toFixed(2)}\n`,
    );
  });
});
