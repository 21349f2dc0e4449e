import { Command, CommandRunner, Option } from 'nest-commander';
import { validOptions } from '../cli/command-options';
import { CleanupDto } from './dto/cleanup.dto';
import { MaintenanceService } from './maintenance.service';

/** `cleanup --days N`: the same cleanup as POST /v1/admin/maintenance/cleanup, for cron jobs. */
@Command({
  name: 'cleanup',
  description:
    'Delete system logs, task logs and finished tool generations and analyses older than N days (in batches)',
})
export class CleanupCommand extends CommandRunner {
  constructor(private readonly maintenance: MaintenanceService) {
    super();
  }

  async run(_: string[], options: { days?: number }): Promise<void> {
    const dto = validOptions(CleanupDto, { olderThanDays: options.days }, 'cleanup: --days');
    const result = await this.maintenance.cleanup(dto.olderThanDays);
    process.stdout.write(
      `Deleted before ${result.cutoff}: ${result.deleted.systemLogs} system logs` +
        (result.droppedPartitions.length
          ? ` (partitions dropped: ${result.droppedPartitions.join(', ')})`
          : '') +
        `, ${result.deleted.taskLogs} task log lines, ${result.deleted.toolGenerations} tool generations, ${result.deleted.analyses} analyses\n`,
    );
  }

  @Option({
    flags: '--days <n>',
    description: 'older than this many days (1–3650)',
    required: true,
  })
  parseDays(value: string): number {
    return /^\d+$/.test(value) ? Number(value) : Number.NaN;
  }
}
