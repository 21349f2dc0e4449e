import { SystemLogPartitions } from '../../src/analytics/system-log-partitions';
import { partitionName, monthStart } from '../../src/analytics/system-logs.repository';
import { SystemLogService } from '../../src/analytics/system-log.service';
import { BillingService } from '../../src/billing/billing.service';
import { DbCheckCommand } from '../../src/cli/migrate.command';
import { Clock } from '../../src/common/clock/clock';
import { startTestApp, testTarget, TestApp } from '../support/test-app';

/** `cli db:check` on a migrated database, then with each kind of object it checks removed. */
describe('db:check', () => {
  let t: TestApp;
  let check: DbCheckCommand;

  beforeAll(async () => {
    t = await startTestApp({ label: 'dbcheck', env: { SYSTEM_LOG_PARTITION_SECONDS: '0' } });
    await t.app.get(SystemLogPartitions).ensureAhead();
    check = new DbCheckCommand(
      t.db,
      t.app.get(BillingService),
      t.app.get(SystemLogService),
      t.app.get(Clock),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('finds nothing wrong on a freshly migrated database', async () => {
    expect(await check.problems()).toEqual([]);
  });

  it('reports a missing hand-written index, seeded plan and (PostgreSQL) partition', async () => {
    await t.db.query('DROP INDEX ix_tasks_claim');
    await t.db.query(`DELETE FROM subscription_plans WHERE id = 'enterprise'`);
    const expected = [
      'index ix_tasks_claim on tasks is missing (hand-written in the migrations)',
      'subscription plan enterprise is missing (seeded by the Billing migration)',
    ];
    if (testTarget === 'postgres') {
      await t.db.query('DROP INDEX ix_leads_email_trgm');
      const next = partitionName(monthStart(t.app.get(Clock).now(), 1));
      await t.db.query(`ALTER TABLE system_logs DETACH PARTITION "${next}"`);
      await t.db.query(`DROP TABLE "${next}"`);
      expected.splice(
        1,
        0,
        'index ix_leads_email_trgm on leads is missing (hand-written in the migrations)',
      );
      expected.push(`system_logs partition ${next} is missing`);
    }
    expect((await check.problems()).sort()).toEqual(expected.sort());
  });
});
