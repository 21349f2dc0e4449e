import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { CursorPageQueryDto } from '../../common/pagination/pagination';
import { IsOptionalNotNull } from '../../common/validation/optional';
import { NoNul, trim } from '../../common/validation/transforms';
import { JOB_STATUSES, JobStatus } from '../job-status';
import { IsJsonObject, IsJsonValue } from './json-value';

const ANALYSIS_TYPE = /^[a-z0-9][a-z0-9_-]{0,49}$/;
const ANALYSIS_TYPE_MESSAGE = 'analysisType must be 1–50 lower-case letters, digits, - or _';

/** A new data analysis (pending). */
export class CreateAnalysisDto {
  /** 1–200 characters. */
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoNul()
  name: string;

  /** What kind of analysis, e.g. `regression`, `summary` (1–50 of a-z, 0-9, -, _). */
  @ApiProperty({ example: 'summary', maxLength: 50 })
  @IsString()
  @Matches(ANALYSIS_TYPE, { message: ANALYSIS_TYPE_MESSAGE })
  analysisType: string;

  /** Any JSON object, ≤ 64 KB. */
  @ApiProperty({ type: 'object', additionalProperties: true, example: { column: 'price' } })
  @IsJsonObject()
  parameters: Record<string, unknown>;

  /** An organisation you are a member of (404 otherwise); the analysis stays visible to you only. */
  @ApiPropertyOptional({ format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'entityId must be a UUID' })
  entityId?: string | null;
}

/** Changes to an analysis; completed and failed are terminal (409). */
export class UpdateAnalysisDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptionalNotNull()
  @IsIn(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` })
  status?: JobStatus;

  /** Any JSON value, ≤ 1 MB. */
  @ApiPropertyOptional({
    description: 'Any JSON value (null too), ≤ 1 MB',
    example: { mean: 4.2 },
    nullable: true,
  })
  @IsOptional()
  @IsJsonValue()
  result?: unknown;

  /** ≤ 10,000 characters. */
  @ApiPropertyOptional({ maxLength: 10000 })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(10000)
  @NoNul()
  errorMessage?: string;
}

export class ListAnalysesQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` })
  status?: JobStatus;

  @ApiPropertyOptional({ maxLength: 50 })
  @IsOptional()
  @IsString()
  @Matches(ANALYSIS_TYPE, { message: ANALYSIS_TYPE_MESSAGE })
  analysisType?: string;
}
