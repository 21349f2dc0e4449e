import { execFileSync } from 'node:child_process';
import { InjectDataSource } from '@nestjs/typeorm';
import { Command, CommandRunner } from 'nest-commander';
import { DataSource } from 'typeorm';
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

/** `db:check`: the database schema matches the entities (no statement would be needed to sync them). */
@Command({
  name: 'db:check',
  description: 'Exit 1 when the database schema and the entities disagree',
})
export class DbCheckCommand extends CommandRunner {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async run(): Promise<void> {
    const sql = await this.dataSource.driver.createSchemaBuilder().log();
    if (sql.upQueries.length === 0) {
      process.stdout.write('db:check: schema matches the entities\n');
      return;
    }
    process.stdout.write(`db:check: ${sql.upQueries.length} difference(s):\n`);
    for (const q of sql.upQueries)
      process.stdout.write(`  ${q.query.trim().split('\n').join(' ')}\n`);
    process.exitCode = 1;
  }
}
