import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiDateTime, DateTimeString, isoDateTime } from '../../common/http/date-time';
import { JOB_STATUSES, JobStatus } from '../job-status';
import type { ToolGenerationRow } from '../tool-generations.repository';

export class ToolGenerationResponse {
  id: string;
  userId: string;
  toolType: string;
  @ApiProperty({ enum: JOB_STATUSES })
  status: JobStatus;
  @ApiProperty({ type: 'object', additionalProperties: true })
  config: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Any JSON value', nullable: true })
  result: unknown;
  errorMessage: string | null;
  @ApiDateTime()
  createdAt: DateTimeString;
  @ApiDateTime()
  updatedAt: DateTimeString;
}

export class ToolGenerationPageResponse {
  @ApiProperty({ type: [ToolGenerationResponse] })
  items: ToolGenerationResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function toToolGenerationResponse(row: ToolGenerationRow): ToolGenerationResponse {
  return {
    id: row.id,
    userId: row.userId,
    toolType: row.toolType,
    status: row.status,
    config: row.config,
    result: row.result ?? null,
    errorMessage: row.errorMessage,
    createdAt: isoDateTime(row.createdAt),
    updatedAt: isoDateTime(row.updatedAt),
  };
}
