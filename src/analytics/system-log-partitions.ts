import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { PeriodicJobProvider, PeriodicJobs } from '../common/scheduling/periodic-jobs';
import { AppConfig } from '../config/app-config';
import { monthStart, SystemLogsRepository } from './system-logs.repository';

export const PARTITION_JOB = 'system-log-partitions';

/**
 * Keeps the monthly partitions of system_logs two months ahead (this month and the next two)
 * on PostgreSQL, every SYSTEM_LOG_PARTITION_SECONDS; one instance at a time (advisory lock).
 * Rows that landed in the default partition for a month that gets its partition move into it.
 */
@Injectable()
export class SystemLogPartitions extends PeriodicJobProvider implements OnApplicationBootstrap {
  private readonly log = new Logger('SystemLogPartitions');

  constructor(
    jobs: PeriodicJobs,
    private readonly config: AppConfig,
    private readonly repository: SystemLogsRepository,
    private readonly clock: Clock,
  ) {
    super(jobs, {
      name: PARTITION_JOB,
      everySeconds: config.analytics.partitionUpkeepSeconds,
      run: () => this.ensureAhead(),
    });
  }

  /** Also once at start (when scheduled), so a long-stopped instance catches up at once. */
  onApplicationBootstrap(): void {
    if (this.config.analytics.partitionUpkeepSeconds > 0) void this.jobs.runNow(PARTITION_JOB);
  }

  /** The partitions it created (empty when all existed, or another instance holds the lock). */
  async ensureAhead(): Promise<string[]> {
    const now = this.clock.now();
    const months = [0, 1, 2].map((i) => monthStart(now, i));
    const created = await this.repository.ensurePartitions(months, PARTITION_JOB);
    if (created === false) return [];
    if (created.length > 0) this.log.log(`created ${created.join(', ')}`);
    return created;
  }
}
