import { execFileSync } from 'node:child_process';
import { InjectDataSource } from '@nestjs/typeorm';
import { Command, CommandRunner } from 'nest-commander';
import { DataSource } from 'typeorm';
import { SystemLogService } from '../analytics/system-log.service';
import { BillingService } from '../billing/billing.service';
import { Clock } from '../common/clock/clock';
import { missingHandWrittenObjects } from '../database/hand-written-objects';
import { MIGRATE_UP } from '../database/migrations-gate';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** `migrate up|down|status|generate <Name>` on the configured database (DATABASE_URL). */
@Command({
  name: 'migrate',
  arguments: '<action> [name]',
  description:
    'up: apply pending migrations; down: revert the last one; status: list; generate <Name>: write new ones for both databases (development)',
})
export class MigrateCommand extends CommandRunner {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async run([action, name]: string[]): Promise<void> {
    switch (action) {
      case 'up': {
        const applied = await this.dataSource.runMigrations({ transaction: 'each' });
        say(
          applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'Nothing to apply',
        );
        return;
      }
      case 'down':
        await this.dataSource.undoLastMigration({ transaction: 'each' });
        say('Reverted the last migration');
        return;
      case 'status': {
        // Every migration of this database's folder, applied ([x]) or pending ([ ]); exit 3
        // while any is pending, so scripts can test for it.
        const rows = (await this.dataSource
          .query(`SELECT name FROM migrations ORDER BY id`)
          .catch(() => [])) as { name: string }[];
        const applied = new Set(rows.map((row) => row.name));
        const known = this.dataSource.migrations.map((m) => m.name ?? m.constructor.name);
        for (const name of applied) say(`[x] ${name}`);
        const pending = known.filter((name) => !applied.has(name));
        for (const name of pending) say(`[ ] ${name} (pending)`);
        say(
          pending.length
            ? `Pending migrations: ${pending.length} (${pending.join(', ')}); apply them with: ${MIGRATE_UP}`
            : 'Pending migrations: none',
        );
        process.exitCode = pending.length ? 3 : 0;
        return;
      }
      case 'generate':
        if (!name) throw new Error('usage: migrate generate <Name>');
        execFileSync('scripts/migrations.sh', ['generate', name], { stdio: 'inherit' });
        return;
      default:
        throw new Error(`unknown action "${action}": use up, down, status or generate`);
    }
  }
}

/**
 * `db:check`: the database schema matches the entities (no statement would be needed to sync
 * them), and what the diff cannot see is there too: hand-written indexes and extensions, the
 * seeded plans, the system_logs partitions (PostgreSQL).
 */
@Command({
  name: 'db:check',
  description: 'Exit 1 when the database schema and the entities disagree',
})
export class DbCheckCommand extends CommandRunner {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly billing: BillingService,
    private readonly systemLogs: SystemLogService,
    private readonly clock: Clock,
  ) {
    super();
  }

  /** Everything that disagrees, one line each (empty: all is well). */
  async problems(): Promise<string[]> {
    const sql = await this.dataSource.driver.createSchemaBuilder().log();
    const problems = sql.upQueries.map((q) => `needs: ${q.query.trim().split('\n').join(' ')}`);
    // On a database far behind (tables missing) a check fails: say so and go on.
    const checks: [string, () => Promise<string[]>][] = [
      ['hand-written indexes', () => missingHandWrittenObjects(this.dataSource)],
      ['seeded plans', () => this.billing.seedProblems()],
      ['system_logs partitions', () => this.systemLogs.partitionProblems(this.clock.now())],
    ];
    for (const [what, check] of checks) {
      try {
        problems.push(...(await check()));
      } catch (error) {
        problems.push(`${what}: could not check (${(error as Error).message})`);
      }
    }
    return problems;
  }

  async run(): Promise<void> {
    const problems = await this.problems();
    if (problems.length === 0) {
      say(
        'db:check: schema matches the entities; hand-written indexes, seeded plans and partitions present',
      );
      return;
    }
    say(`db:check: ${problems.length} difference(s):`);
    for (const line of problems) say(`  ${line}`);
    process.exitCode = 1;
  }
}
