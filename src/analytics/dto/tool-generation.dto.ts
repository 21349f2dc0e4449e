import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { CursorPageQueryDto } from '../../common/pagination/pagination';
import { NoNul } from '../../common/validation/transforms';
import { JOB_STATUSES, JobStatus } from '../job-status';
import { IsJsonObject, IsJsonValue } from './json-value';
import { IsOptionalNotNull } from '../../common/validation/optional';

const TOOL_TYPE = /^[a-z0-9][a-z0-9_-]{0,49}$/;
const TOOL_TYPE_MESSAGE = 'toolType must be 1–50 lower-case letters, digits, - or _';

/** A new tool generation (pending). */
export class CreateToolGenerationDto {
  /** What kind of tool, e.g. `scraper`, `email-template` (1–50 of a-z, 0-9, -, _). */
  @ApiProperty({ example: 'scraper', maxLength: 50 })
  @IsString()
  @Matches(TOOL_TYPE, { message: TOOL_TYPE_MESSAGE })
  toolType: string;

  /** Any JSON object, ≤ 64 KB. */
  @ApiProperty({ type: 'object', additionalProperties: true, example: { language: 'python' } })
  @IsJsonObject()
  config: Record<string, unknown>;
}

/** Changes to a generation; completed and failed are terminal (409). */
export class UpdateToolGenerationDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptionalNotNull()
  @IsIn(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` })
  status?: JobStatus;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptionalNotNull()
  @IsJsonObject()
  config?: Record<string, unknown>;

  /** Any JSON value, ≤ 1 MB. */
  @ApiPropertyOptional({
    description: 'Any JSON value (null too), ≤ 1 MB',
    example: { code: 'print(1)' },
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

export class ListToolGenerationsQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` })
  status?: JobStatus;

  @ApiPropertyOptional({ maxLength: 50 })
  @IsOptional()
  @IsString()
  @Matches(TOOL_TYPE, { message: TOOL_TYPE_MESSAGE })
  toolType?: string;
}
