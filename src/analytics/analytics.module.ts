import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CrawlModule } from '../crawl/crawl.module';
import { LeadsModule } from '../leads/leads.module';
import { StorageModule } from '../storage/storage.module';
import { TasksModule } from '../tasks/tasks.module';
import { SystemEventLog } from '../common/observability/system-event-log';
import { UsageRecorder } from '../common/observability/usage-recorder';
import { AdminController } from './admin.controller';
import { AnalysesController } from './analyses.controller';
import { AnalysesRepository } from './analyses.repository';
import { AnalysesService } from './analyses.service';
import { MaintenanceService } from './maintenance.service';
import { SystemLogPartitions } from './system-log-partitions';
import { SystemLogService } from './system-log.service';
import { SystemLogsRepository } from './system-logs.repository';
import { SystemStatsRepository } from './system-stats.repository';
import { SystemStatsService } from './system-stats.service';
import { AnalyticsController } from './analytics.controller';
import { ApiCallCounter } from './api-call-counter.guard';
import { ToolGenerationsController } from './tool-generations.controller';
import { ToolGenerationsRepository } from './tool-generations.repository';
import { ToolGenerationsService } from './tool-generations.service';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

/**
 * Usage analytics, the system event log, data analyses, tool generations and the admin
 * operations (stats, logs, cleanup). Global: it provides the UsageRecorder and SystemEventLog
 * ports that other modules inject with @Optional().
 */
@Global()
@Module({
  imports: [TasksModule, LeadsModule, CrawlModule, StorageModule],
  controllers: [
    AnalyticsController,
    AdminController,
    ToolGenerationsController,
    AnalysesController,
  ],
  providers: [
    UsageRepository,
    UsageService,
    { provide: UsageRecorder, useExisting: UsageService },
    { provide: APP_GUARD, useClass: ApiCallCounter },
    SystemLogsRepository,
    SystemLogService,
    { provide: SystemEventLog, useExisting: SystemLogService },
    SystemLogPartitions,
    ToolGenerationsRepository,
    ToolGenerationsService,
    AnalysesRepository,
    AnalysesService,
    MaintenanceService,
    SystemStatsRepository,
    SystemStatsService,
  ],
  exports: [UsageService, UsageRecorder, SystemLogService, SystemEventLog, MaintenanceService],
})
export class AnalyticsModule {}
