import { UsageRepository } from '../../src/analytics/usage.repository';
import { UsageService } from '../../src/analytics/usage.service';
import { register } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * usage_analytics is written only by additive upserts: 50 concurrent increments on the same
 * (user, day) — as 50 instances flushing at once would — add up exactly, in one row.
 */

jest.setTimeout(120_000);

describe('usage analytics upserts under concurrency on PostgreSQL', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ label: 'usage_race', env: { DATABASE_POOL_SIZE: '10' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('50 concurrent increments of one (user, day) add up exactly in one row', async () => {
    const user = await register(t, 'race');
    await t.app.get(UsageService).flush();
    const repository = t.app.get(UsageRepository);
    const date = '2026-06-01';
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        repository.addAll([
          {
            userId: user.id,
            date,
            tasksCreated: 1,
            tasksCompleted: i % 2,
            tasksFailed: 0,
            computeUnitsConsumed: 3,
            apiCalls: 7,
          },
        ]),
      ),
    );
    const rows = await t.db.query(
      `SELECT tasks_created, tasks_completed, compute_units_consumed, api_calls
       FROM usage_analytics WHERE user_id = $1 AND date = $2`,
      [user.id, date],
    );
    expect(rows).toEqual([
      { tasks_created: 50, tasks_completed: 25, compute_units_consumed: 150, api_calls: 350 },
    ]);
  });

  it('50 services recording and flushing concurrently lose no increment', async () => {
    const user = await register(t, 'flushers');
    const service = t.app.get(UsageService);
    await service.flush();
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        service.countApiCall(user.id);
        await service.flush();
      }),
    );
    await service.flush();
    const [row] = await t.db.query(
      `SELECT COUNT(*)::int AS c, SUM(api_calls)::int AS n FROM usage_analytics WHERE user_id = $1`,
      [user.id],
    );
    expect(row).toEqual({ c: 1, n: 50 });
  });
});
