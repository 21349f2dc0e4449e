import { randomUUID } from 'node:crypto';
import { BillingService } from '../../src/billing/billing.service';
import { UsersService } from '../../src/users/users.service';
import { login, PASSWORD, register } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';
import { inject } from './load';

/** Billing invariants under real concurrency on PostgreSQL (pool of 10, calls fired together). */

jest.setTimeout(120_000);

describe('billing concurrency on PostgreSQL', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ label: 'billing_race', env: { DATABASE_POOL_SIZE: '10' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const one = async (sql: string, params: unknown[]) =>
    Number((await t.db.query(sql, params))[0].n);

  it('100 parallel charges of 7 CU against a 100 CU plan: exactly 14 succeed, used = ledger sum = 98', async () => {
    const user = await register(t, 'cu-race');
    const billing = t.app.get(BillingService);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        billing.consumeComputeUnits(user.id, 7, null, `race ${i}`),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok).toHaveLength(14);
    expect(refused.every((r) => (r.reason as { status?: number }).status === 402)).toBe(true);
    expect(
      await one(
        `SELECT compute_units_used AS n FROM user_subscriptions WHERE user_id = $1 AND status = 'active'`,
        [user.id],
      ),
    ).toBe(98);
    expect(
      await one('SELECT SUM(delta) AS n FROM compute_unit_ledger WHERE user_id = $1', [user.id]),
    ).toBe(98);
    expect(
      await one('SELECT COUNT(*) AS n FROM compute_unit_ledger WHERE user_id = $1', [user.id]),
    ).toBe(14);
  });

  it('20 parallel first reads of a user’s subscription create exactly one', async () => {
    // A user made outside registration (like the CLI's create-admin) has no subscription yet.
    const email = `first-read-${randomUUID().slice(0, 8)}@example.com`;
    const user = await t.app.get(UsersService).create({ email, password: PASSWORD });
    expect(
      await one('SELECT COUNT(*) AS n FROM user_subscriptions WHERE user_id = $1', [user.id]),
    ).toBe(0);
    const actor = await login(t, email, PASSWORD);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        inject(t.app, 'GET', '/v1/billing/subscription', { token: actor.token }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(results.map((r) => JSON.parse(r.body).currentPeriodStart)).size).toBe(1);
    expect(
      await one('SELECT COUNT(*) AS n FROM user_subscriptions WHERE user_id = $1', [user.id]),
    ).toBe(1);
  });
});
