import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiDateTime, DateTimeString, isoDateTime } from '../../common/http/date-time';
import { SYSTEM_LOG_LEVELS, SystemLogLevel } from '../../common/observability/system-event-log';
import type { SystemLogRow } from '../system-logs.repository';

export class SystemLogResponse {
  id: string;
  service: string;
  @ApiProperty({ enum: SYSTEM_LOG_LEVELS })
  level: SystemLogLevel;
  message: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  details: Record<string, unknown> | null;
  requestId: string | null;
  userId: string | null;
  @ApiDateTime()
  createdAt: DateTimeString;
}

export class SystemLogPageResponse {
  @ApiProperty({ type: [SystemLogResponse] })
  items: SystemLogResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function toSystemLogResponse(row: SystemLogRow): SystemLogResponse {
  return {
    id: row.id,
    service: row.service,
    level: row.level,
    message: row.message,
    details: row.details,
    requestId: row.requestId,
    userId: row.userId,
    createdAt: isoDateTime(row.createdAt),
  };
}
