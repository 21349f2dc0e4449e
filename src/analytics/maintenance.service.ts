import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { LeadsService } from '../leads/leads.service';
import { TasksService } from '../tasks/tasks.service';
import { CleanupResponse } from './dto/cleanup.dto';
import { SystemLogService } from './system-log.service';
import { ToolGenerationsService } from './tool-generations.service';
import { AnalysesService } from './analyses.service';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Operations on the stored history: cleanup of what is older than N days. One entry point
 * for the admin route and the CLI. Each table is deleted in batches by its own module's
 * service, so no statement holds a long lock.
 */
@Injectable()
export class MaintenanceService {
  constructor(
    private readonly systemLogs: SystemLogService,
    private readonly tasks: TasksService,
    private readonly toolGenerations: ToolGenerationsService,
    private readonly analyses: AnalysesService,
    private readonly leads: LeadsService,
    private readonly clock: Clock,
  ) {}

  async cleanup(olderThanDays: number): Promise<CleanupResponse> {
    const cutoff = new Date(this.clock.now().getTime() - olderThanDays * DAY_MS);
    const logs = await this.systemLogs.deleteBefore(cutoff);
    const deleted = {
      systemLogs: logs.deleted,
      taskLogs: await this.tasks.deleteLogsBefore(cutoff),
      toolGenerations: await this.toolGenerations.deleteFinishedBefore(cutoff),
      analyses: await this.analyses.deleteFinishedBefore(cutoff),
      resumesOfDeletedEntities: await this.leads.purgeResumesOfDeletedEntities(),
    };
    const result = {
      olderThanDays,
      cutoff: cutoff.toISOString(),
      deleted,
      droppedPartitions: logs.droppedPartitions,
    };
    this.systemLogs.log(
      'maintenance',
      'INFO',
      `cleanup of data older than ${olderThanDays} days`,
      result,
    );
    return result;
  }
}
