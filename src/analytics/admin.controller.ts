import { BadRequestException, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Admin } from '../common/auth/access';
import { ListSystemLogsQueryDto } from './dto/system-logs.query.dto';
import { SystemLogPageResponse } from './dto/system-log.response';
import { SystemLogService } from './system-log.service';
import { CleanupDto, CleanupResponse } from './dto/cleanup.dto';
import { MaintenanceService } from './maintenance.service';
import { SystemStatsResponse } from './dto/system-stats.response';
import { SystemStatsService } from './system-stats.service';

/** Platform operations for platform admins: stats, the system event log and cleanup. */
@ApiTags('admin')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly systemLogs: SystemLogService,
    private readonly maintenance: MaintenanceService,
    private readonly systemStats: SystemStatsService,
  ) {}

  /**
   * Platform overview: counts (users, entities, leads and tasks by status, crawls, analyses of
   * the last 7 days), database size and rows per table, the connection pool and the cache.
   * Gathered at most once per 60 s (cache key `system_stats`): see `generatedAt`.
   */
  @Get('stats')
  @Admin()
  @ApiOkResponse({ type: SystemStatsResponse })
  stats(): Promise<SystemStatsResponse> {
    return this.systemStats.get();
  }

  /** System events, newest first (keyset), filtered by service, level, from/to and message text. */
  @Get('system-logs')
  @Admin()
  @ApiOkResponse({ type: SystemLogPageResponse })
  @ApiBadRequestResponse({ description: 'Unknown service or level, bad dates, from after to' })
  listSystemLogs(@Query() query: ListSystemLogsQueryDto): Promise<SystemLogPageResponse> {
    if (query.from && query.to && Date.parse(query.from) > Date.parse(query.to)) {
      throw new BadRequestException({
        detail: 'from must not be after to',
        errors: [{ field: 'from', message: 'from must not be after to' }],
      });
    }
    return this.systemLogs.list(query);
  }

  /** Deletes system logs, task logs and finished tool generations older than N days, in batches. */
  @Post('maintenance/cleanup')
  @HttpCode(200)
  @Admin()
  @ApiOkResponse({ type: CleanupResponse })
  @ApiBadRequestResponse({ description: 'olderThanDays missing, not an integer or outside 1–3650' })
  cleanup(@Body() dto: CleanupDto): Promise<CleanupResponse> {
    return this.maintenance.cleanup(dto.olderThanDays);
  }
}
