import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiDateTime, DateTimeString, isoDateTime } from '../../common/http/date-time';
import type { AnalysisFileRow, AnalysisRow } from '../analyses.repository';
import { JOB_STATUSES, JobStatus } from '../job-status';

export class AnalysisResponse {
  id: string;
  userId: string;
  entityId: string | null;
  name: string;
  analysisType: string;
  @ApiProperty({ enum: JOB_STATUSES })
  status: JobStatus;
  @ApiProperty({ type: 'object', additionalProperties: true })
  parameters: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Any JSON value', nullable: true })
  result: unknown;
  errorMessage: string | null;
  /** When it first went to processing. */
  @ApiDateTime({ nullable: true })
  startedAt: DateTimeString | null;
  /** When it reached completed or failed. */
  @ApiDateTime({ nullable: true })
  completedAt: DateTimeString | null;
  /** Bumped by every write; the `ETag` of the analysis routes is made from it. */
  version: number;
  @ApiDateTime()
  createdAt: DateTimeString;
  @ApiDateTime()
  updatedAt: DateTimeString;
}

export class AnalysisPageResponse {
  @ApiProperty({ type: [AnalysisResponse] })
  items: AnalysisResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export class AnalysisFileResponse {
  id: string;
  analysisId: string;
  /** The name the client sent (metadata only). */
  filename: string;
  /** Decided from the content: csv, json, xlsx or pdf. */
  @ApiProperty({ enum: ['csv', 'json', 'xlsx', 'pdf'] })
  fileType: string;
  contentType: string;
  sizeBytes: number;
  /** SHA-256 of the content, hex. */
  sha256: string;
  @ApiDateTime()
  createdAt: DateTimeString;
}

export class AnalysisFilePageResponse {
  @ApiProperty({ type: [AnalysisFileResponse] })
  items: AnalysisFileResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function toAnalysisResponse(row: AnalysisRow): AnalysisResponse {
  return {
    id: row.id,
    userId: row.userId,
    entityId: row.entityId,
    name: row.name,
    analysisType: row.analysisType,
    status: row.status,
    parameters: row.parameters,
    result: row.result ?? null,
    errorMessage: row.errorMessage,
    startedAt: isoDateTime(row.startedAt),
    completedAt: isoDateTime(row.completedAt),
    version: row.version,
    createdAt: isoDateTime(row.createdAt),
    updatedAt: isoDateTime(row.updatedAt),
  };
}

export function toAnalysisFileResponse(row: AnalysisFileRow): AnalysisFileResponse {
  return {
    id: row.id,
    analysisId: row.analysisId,
    filename: row.filename,
    fileType: row.fileType,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    sha256: row.sha256,
    createdAt: isoDateTime(row.createdAt),
  };
}
