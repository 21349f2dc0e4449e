import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { NoNul } from '../../common/validation/transforms';
import { LOG_LEVELS, LogLevel } from '../task-log.entity';
import { IsOptionalNotNull } from '../../common/validation/optional';

export const MAX_LOG_ENTRIES = 500;
export const MAX_LOG_MESSAGE = 10_000;
export const MAX_LOG_METADATA_BYTES = 16 * 1024;
export const MAX_RESULT_BYTES = 1_000_000;

const WORKER_ID = /^[A-Za-z0-9._:@/-]+$/;

/** JSON of at most `bytes` bytes. */
const JsonAtMost = (bytes: number) =>
  ValidateBy({
    name: 'jsonAtMost',
    validator: {
      validate: (value: unknown) =>
        value === undefined || Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') <= bytes,
      defaultMessage: (args) => `${args?.property} must be at most ${bytes} bytes of JSON`,
    },
  });

/** Who the worker is: 1–100 characters of letters, digits and . _ : @ / -. */
class WorkerIdentity {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(WORKER_ID, { message: 'workerId may contain letters, digits and . _ : @ / - only' })
  workerId: string;
}

export class ClaimTaskDto extends WorkerIdentity {
  /** How long the claim holds without a heartbeat: 10–3600 seconds. */
  @ApiProperty({ minimum: 10, maximum: 3600 })
  @IsInt()
  @Min(10)
  @Max(3600)
  leaseSeconds: number;
}

export class HeartbeatDto extends WorkerIdentity {
  /** New lease from now (10–3600 s); the claim's lease length when absent. */
  @ApiPropertyOptional({ minimum: 10, maximum: 3600 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(10)
  @Max(3600)
  leaseSeconds?: number;
}

export class CompleteTaskDto extends WorkerIdentity {
  /** The scraped data (any JSON, ≤ 1 MB). */
  @ApiPropertyOptional({ description: 'Any JSON value (null too), at most 1 MB', nullable: true })
  @IsOptional()
  @JsonAtMost(MAX_RESULT_BYTES)
  result?: unknown;
}

export class FailTaskDto extends WorkerIdentity {
  /** What went wrong (1–10,000 characters). */
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_LOG_MESSAGE)
  @NoNul()
  error: string;

  /** Try again (when attempts are left) instead of failing for good. Default false. */
  @IsOptionalNotNull()
  @IsBoolean()
  retryable?: boolean;
}

export class LogEntryDto {
  @ApiProperty({ enum: LOG_LEVELS })
  @IsIn(LOG_LEVELS, { message: `level must be one of ${LOG_LEVELS.join(', ')}` })
  level: LogLevel;

  /** 1–10,000 characters. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_LOG_MESSAGE)
  @NoNul()
  message: string;

  /** Any JSON object, ≤ 16 KB. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  @JsonAtMost(MAX_LOG_METADATA_BYTES)
  metadata?: Record<string, unknown>;
}

/**
 * One line ({level, message, metadata?}) or a batch ({entries: [...]}, up to 500), written in
 * one INSERT. `workerId`, when given, must be the worker holding the task.
 */
export class WriteTaskLogsDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(WORKER_ID, { message: 'workerId may contain letters, digits and . _ : @ / - only' })
  workerId?: string;

  @ApiPropertyOptional({ enum: LOG_LEVELS })
  @IsOptionalNotNull()
  @IsIn(LOG_LEVELS, { message: `level must be one of ${LOG_LEVELS.join(', ')}` })
  level?: LogLevel;

  @ApiPropertyOptional({ maxLength: MAX_LOG_MESSAGE })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_LOG_MESSAGE)
  @NoNul()
  message?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  @JsonAtMost(MAX_LOG_METADATA_BYTES)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [LogEntryDto], maxItems: MAX_LOG_ENTRIES })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LOG_ENTRIES)
  @ValidateNested({ each: true })
  @Type(() => LogEntryDto)
  entries?: LogEntryDto[];
}
