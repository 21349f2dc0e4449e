import { Command, CommandRunner, Option } from 'nest-commander';
import { SystemLogService } from '../analytics/system-log.service';
import { BACKUP_LOG_SERVICE, BackupError } from './backup-format';
import { BackupService, BackupSummary } from './backup.service';
import { stderrProgress } from './progress';

function describe(summary: BackupSummary, seconds: number): string {
  const documents = summary.collections
    .map((c) => `, ${c.documents} documents in MongoDB ${c.name}`)
    .join('');
  return `${summary.rows} rows in ${summary.tables.length} tables${documents}, schema ${summary.schema}, ${seconds.toFixed(1)} s`;
}

/**
 * Runs one backup or restore and records it in the system log either way; a failure is
 * rethrown as its one line (the CLI prints it and exits 1).
 */
async function recorded(
  logs: SystemLogService,
  what: 'backup' | 'restore',
  path: string,
  run: () => Promise<BackupSummary>,
): Promise<BackupSummary> {
  const started = Date.now();
  try {
    const summary = await run();
    const seconds = (Date.now() - started) / 1000;
    logs.log(BACKUP_LOG_SERVICE, 'INFO', `${what} ${path}: ${describe(summary, seconds)}`, {
      operation: what,
      path,
      schema: summary.schema,
      rows: summary.rows,
      tables: Object.fromEntries(summary.tables.map((t) => [t.name, t.rows])),
      documents: Object.fromEntries(summary.collections.map((c) => [c.name, c.documents])),
      seconds,
    });
    return summary;
  } catch (error) {
    const message = error instanceof BackupError ? error.message : String(error);
    logs.log(BACKUP_LOG_SERVICE, 'ERROR', `${what} ${path} failed: ${message}`, {
      operation: what,
      path,
    });
    // The CLI exits on the error without closing the app: write the event now.
    await logs.flush().catch(() => undefined);
    throw error;
  }
}

/** `backup --out file.jsonl.gz`: every table (and MongoDB's crawl documents) as gzip JSON Lines, streamed. */
@Command({
  name: 'backup',
  description:
    'Write every table and, with MONGO_URL, the crawl documents (header + one JSON line per row or document, gzip) to --out, streamed',
})
export class BackupCommand extends CommandRunner {
  constructor(
    private readonly backups: BackupService,
    private readonly logs: SystemLogService,
  ) {
    super();
  }

  async run(_: string[], options: { out: string }): Promise<void> {
    const started = Date.now();
    const summary = await recorded(this.logs, 'backup', options.out, () =>
      this.backups.backup(options.out, stderrProgress('backup')),
    );
    process.stdout.write(
      `Backed up to ${summary.path}: ${describe(summary, (Date.now() - started) / 1000)}\n`,
    );
  }

  @Option({
    flags: '--out <file>',
    description: 'the backup file to write (.jsonl.gz)',
    required: true,
  })
  parseOut(value: string): string {
    return value;
  }
}

/**
 * `restore --in file.jsonl.gz [--force]`: into an empty migrated database, one transaction;
 * MongoDB crawl documents inserted alongside, deleted again if the restore fails.
 */
@Command({
  name: 'restore',
  description:
    'Restore a backup into this (migrated, empty) database in one transaction; --force replaces existing rows',
})
export class RestoreCommand extends CommandRunner {
  constructor(
    private readonly backups: BackupService,
    private readonly logs: SystemLogService,
  ) {
    super();
  }

  async run(_: string[], options: { in: string; force?: boolean }): Promise<void> {
    const started = Date.now();
    const summary = await recorded(this.logs, 'restore', options.in, () =>
      this.backups.restore(options.in, { force: options.force }, stderrProgress('restore')),
    );
    process.stdout.write(
      `Restored ${summary.path}: ${describe(summary, (Date.now() - started) / 1000)}\n`,
    );
  }

  @Option({
    flags: '--in <file>',
    description: 'the backup file to read (.jsonl.gz)',
    required: true,
  })
  parseIn(value: string): string {
    return value;
  }

  @Option({
    flags: '--force',
    description:
      'delete the rows already there (same transaction) and the crawl documents in MongoDB (not undone)',
  })
  parseForce(): boolean {
    return true;
  }
}
