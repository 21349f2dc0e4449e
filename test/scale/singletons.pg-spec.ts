import { createHash, randomUUID } from 'node:crypto';
import { monthStart, partitionName } from '../../src/analytics/system-logs.repository';
import { AppProcess, call } from './app-process';
import { pairSuite, register, useTwoInstances } from './instance-pair';

/**
 * Every background job on two instances at once, each job due every second on both: the lease
 * sweep, the system_logs partition upkeep, the session and idempotency-key purges (one instance
 * at a time by advisory lock) and the buffered counters every instance keeps (API calls and
 * usage, API-key uses), written as increments. Each test checks an exact outcome in the shared
 * database: nothing done twice, nothing lost, and no job failing on either instance.
 */
jest.setTimeout(90_000);

const suite = pairSuite('singletons');

/** Job names as the PeriodicJobs failure warning shows them (`<name> failed; next run …`). */
const JOBS = [
  'tasks-lease-sweep',
  'system-log-partitions',
  'sessions-purge',
  'idempotency-purge',
  'analytics-usage-flush',
  'api-key-usage-flush',
];

/** The app's JSON log lines (pino) in an instance's output. */
function logLines(app: AppProcess): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (const line of app.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      /* a line cut by the output bound */
    }
  }
  return lines;
}

/** Polls `read` until it returns `expected` (deep equal) or `ms` pass; the last value. */
async function eventually<T>(read: () => Promise<T>, expected: T, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (JSON.stringify(value) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

suite('two instances running every background job', () => {
  const pair = useTwoInstances(
    {
      LOG_LEVEL: 'info',
      THROTTLE_LIMIT: '100000',
      TASK_LEASE_SWEEP_SECONDS: '1',
      SYSTEM_LOG_PARTITION_SECONDS: '1',
      SESSION_PURGE_SECONDS: '1',
      IDEMPOTENCY_PURGE_SECONDS: '1',
      USAGE_FLUSH_SECONDS: '1',
      API_KEY_USAGE_FLUSH_SECONDS: '1',
    },
    { outputChars: 4_000_000 },
  );
  const both = () => [pair.a, pair.b];
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await pair.db.query(sql, params)).rows[0].n);

  afterAll(() => {
    // No job failed on either instance (a lost advisory-lock race would show up here).
    for (const app of both()) {
      const failures = logLines(app).filter(
        (l) =>
          Number(l.level) >= 50 ||
          (typeof l.msg === 'string' &&
            JOBS.some((job) => String(l.msg).startsWith(`${job} failed`))),
      );
      expect(failures).toEqual([]);
    }
  });

  it('re-queues each expired lease of a dead worker exactly once: one log line, one charge, attempts right', async () => {
    const TASKS = 30;
    const owner = await register(pair.a.url, 'sweep');
    await pair.db.query(
      `INSERT INTO tasks (id, user_id, name, config, status, priority, max_attempts, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'sweep ' || g, '{"targetUrl":"https://example.com/"}'::jsonb,
              'pending', 0, 3, now() - g * interval '1 millisecond', now()
       FROM generate_series(1, $2::int) g`,
      [owner.id, TASKS],
    );
    // The dead worker claims every task, through both instances, and is never heard of again …
    const claimAll = async (workerId: string) => {
      const ids: string[] = [];
      for (let i = 0; ; i++) {
        const r = await call(both()[i % 2].url, 'POST', '/v1/tasks/claim', {
          token: owner.token,
          body: { workerId, leaseSeconds: 600 },
        });
        if (r.status === 204) return ids;
        expect(r.status).toBe(200);
        ids.push(r.body.id as string);
      }
    };
    const firstRound = await claimAll('dead-worker');
    expect(new Set(firstRound).size).toBe(TASKS);
    const sweptBefore = sweptTotal();
    // … and its leases ran out a minute ago, after a minute of work (1 CU per attempt).
    await pair.db.query(
      `UPDATE tasks SET started_at = now() - interval '2 minutes', lease_expires_at = now() - interval '1 minute'
       WHERE user_id = $1`,
      [owner.id],
    );
    const pending = () =>
      count(
        `SELECT COUNT(*) AS n FROM tasks WHERE user_id = $1 AND status = 'pending' AND claimed_by IS NULL`,
        [owner.id],
      );
    expect(await eventually(pending, TASKS)).toBe(TASKS);
    await sleep(2_500); // more sweeps on both instances: nothing more happens
    expect(await count('SELECT COUNT(*) AS n FROM tasks WHERE user_id = $1', [owner.id])).toBe(
      TASKS,
    );
    expect(
      await count(`SELECT COUNT(*) AS n FROM tasks WHERE user_id = $1 AND attempts = 1`, [
        owner.id,
      ]),
    ).toBe(TASKS);
    const perTask = await pair.db.query(
      `SELECT t.id,
              (SELECT COUNT(*) FROM task_logs l WHERE l.task_id = t.id AND l.metadata->>'reason' = 'lease_expired')::int AS logs,
              (SELECT COUNT(*) FROM compute_unit_ledger c WHERE c.task_id = t.id)::int AS charges
       FROM tasks t WHERE t.user_id = $1`,
      [owner.id],
    );
    expect(perTask.rows.filter((r) => r.logs !== 1 || r.charges !== 1)).toEqual([]);
    expect(
      await count(
        `SELECT SUM(compute_units_used) AS n FROM user_subscriptions WHERE user_id = $1 AND status = 'active'`,
        [owner.id],
      ),
    ).toBe(TASKS);
    // The instances' own reports add up to the tasks: each one swept by one instance.
    expect(sweptTotal() - sweptBefore).toBe(TASKS);
    // A live worker gets every task once more, as its second attempt.
    const secondRound = await claimAll('live-worker');
    expect(secondRound.sort()).toEqual([...firstRound].sort());
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM tasks WHERE user_id = $1 AND status = 'running' AND attempts = 2 AND claimed_by = 'live-worker'`,
        [owner.id],
      ),
    ).toBe(TASKS);
  });

  /** Tasks re-queued, as the instances logged it ("expired task leases swept", {requeued}). */
  function sweptTotal(): number {
    return both()
      .flatMap(logLines)
      .filter((l) => l.msg === 'expired task leases swept')
      .reduce((sum, l) => sum + Number(l.requeued) + Number(l.failed), 0);
  }

  /** How many times any instance logged creating partition `name`. */
  const createdCount = (name: string) =>
    both()
      .flatMap(logLines)
      .filter((l) => l.context === 'SystemLogPartitions' && String(l.msg).startsWith('created '))
      .flatMap((l) => String(l.msg).slice('created '.length).split(', '))
      .filter((n) => n === name).length;

  it('keeps the system_logs partitions two months ahead, each created by one instance, rows moved out of the default once', async () => {
    const now = new Date();
    const ahead = [1, 2].map((i) => monthStart(now, i));
    const names = ahead.map(partitionName);
    const partitions = () =>
      pair.db
        .query(
          `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'system_logs'::regclass ORDER BY 1`,
        )
        .then((r) => r.rows.map((row) => row.name as string));
    // At start: this month and the next two, plus the default.
    const expected = [partitionName(monthStart(now)), ...names, 'system_logs_default'].sort();
    expect(await eventually(partitions, expected)).toEqual(expected);
    const before = names.map(createdCount);
    // Take both future partitions away and write 20 rows for each of those months (into the
    // default partition), holding the job's lock so that no run sees half of it.
    const client = await pair.db.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('system-log-partitions'))`);
      for (const name of names) await client.query(`DROP TABLE "${name}"`);
      for (const from of ahead) {
        await client.query(
          `INSERT INTO system_logs (id, created_at, service, level, message)
           SELECT gen_random_uuid(), $1::timestamptz + g * interval '1 hour', 'scale', 'info', 'ahead ' || g
           FROM generate_series(1, 20) g`,
          [from.toISOString()],
        );
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await eventually(partitions, expected)).toEqual(expected);
    await sleep(2_500); // more runs on both instances: nothing more happens
    expect(names.map(createdCount)).toEqual(before.map((n) => n + 1));
    for (const name of names) {
      expect(await count(`SELECT COUNT(*) AS n FROM "${name}" WHERE service = 'scale'`)).toBe(20);
    }
    expect(
      await count(`SELECT COUNT(*) AS n FROM system_logs_default WHERE service = 'scale'`),
    ).toBe(0);
  });

  it('purges sessions expired for longer than an access token lives, keeps the rest (the live one still refreshes)', async () => {
    const user = await register(pair.a.url, 'sessions');
    const insert = (n: number, expiredAgo: string) =>
      pair.db.query(
        `INSERT INTO sessions (id, user_id, refresh_token_hash, family_id, expires_at)
         SELECT id, $1, encode(sha256(id::text::bytea), 'hex'), id, now() - $3::interval
         FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $2::int)) g`,
        [user.id, n, expiredAgo],
      );
    await insert(50, '1 day'); // long expired: purged
    await insert(5, '1 minute'); // expired, but an access token of theirs may still be valid: kept
    const rows = () => count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1', [user.id]);
    expect(await eventually(rows, 1 + 5)).toBe(6);
    await sleep(2_500);
    expect(await rows()).toBe(6);
    const refreshed = await call(pair.b.url, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: user.refreshToken },
    });
    expect(refreshed.status).toBe(200);
  });

  it('purges expired idempotency keys and keeps the live ones', async () => {
    const insert = (n: number, expiresIn: string) =>
      pair.db.query(
        `INSERT INTO idempotency_keys (scope, key_hash, fingerprint, status, response_status, created_at, expires_at)
         SELECT 'user:scale', encode(sha256(gen_random_uuid()::text::bytea), 'hex'), $3, 'completed', 201,
                now() - interval '1 day', now() + $2::interval
         FROM generate_series(1, $1::int)`,
        [n, expiresIn, createHash('sha256').update('POST /v1/x {}').digest('hex')],
      );
    await insert(40, '-1 minute');
    await insert(10, '1 hour');
    const rows = () =>
      count(`SELECT COUNT(*) AS n FROM idempotency_keys WHERE scope = 'user:scale'`);
    expect(await eventually(rows, 10)).toBe(10);
    await sleep(2_500);
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM idempotency_keys WHERE scope = 'user:scale' AND expires_at > now()`,
      ),
    ).toBe(10);
  });

  /** `n` calls of `fn(instance, i)`, 8 at a time, alternating between the instances. */
  async function spread(n: number, fn: (app: AppProcess, i: number) => Promise<void>) {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < n; i = next++) await fn(both()[i % 2], i);
      }),
    );
  }

  it('adds up the API calls counted on both instances exactly (increments, never overwritten)', async () => {
    const CALLS = 301; // odd: the two instances serve different numbers (151 and 150)
    const user = await register(pair.a.url, 'usage');
    await spread(CALLS, async (app) => {
      expect((await call(app.url, 'GET', '/v1/auth/me', { token: user.token })).status).toBe(200);
    });
    const apiCalls = () =>
      count('SELECT COALESCE(SUM(api_calls), 0) AS n FROM usage_analytics WHERE user_id = $1', [
        user.id,
      ]);
    expect(await eventually(apiCalls, CALLS)).toBe(CALLS);
    await sleep(2_500); // more flushes on both instances: nothing added twice
    expect(await apiCalls()).toBe(CALLS);
  });

  it('adds up the uses of one API key on both instances exactly', async () => {
    const USES = 257;
    const user = await register(pair.b.url, 'api-key');
    const created = await call(pair.b.url, 'POST', '/v1/api-keys', {
      token: user.token,
      body: { name: `scale ${randomUUID().slice(0, 8)}`, scopes: ['tasks:read'] },
    });
    expect(created.status).toBe(201);
    await spread(USES, async (app) => {
      const r = await call(app.url, 'GET', '/v1/tasks', { token: created.body.key as string });
      expect(r.status).toBe(200);
    });
    const uses = () =>
      count('SELECT usage_count AS n FROM api_keys WHERE id = $1', [created.body.id]);
    expect(await eventually(uses, USES)).toBe(USES);
    await sleep(2_500);
    expect(await uses()).toBe(USES);
    const listed = await call(pair.a.url, 'GET', '/v1/api-keys', { token: user.token });
    expect(listed.body.items[0].usageCount).toBe(USES);
  });
});
