import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { SYSTEM_LOG_LEVELS, SystemLogLevel } from '../../common/observability/system-event-log';
import { CursorPageQueryDto } from '../../common/pagination/pagination';
import { SYSTEM_LOG_SERVICES } from '../system-log-services';

/** System events, newest first; every filter is optional. */
export class ListSystemLogsQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ enum: SYSTEM_LOG_SERVICES })
  @IsOptional()
  @IsIn(SYSTEM_LOG_SERVICES, {
    message: `service must be one of ${SYSTEM_LOG_SERVICES.join(', ')}`,
  })
  service?: string;

  @ApiPropertyOptional({ enum: SYSTEM_LOG_LEVELS })
  @IsOptional()
  @IsIn(SYSTEM_LOG_LEVELS, { message: `level must be one of ${SYSTEM_LOG_LEVELS.join(', ')}` })
  level?: SystemLogLevel;

  /** Created at or after this instant (ISO 8601). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date-time' })
  from?: string;

  /** Created at or before this instant (ISO 8601). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date-time' })
  to?: string;

  /** Case-insensitive substring of the message (≤ 200 characters). */
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}
