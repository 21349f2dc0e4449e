import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { NoNul, trim } from '../../common/validation/transforms';
import { IsTaskConfig } from '../task-config';
import { IsOptionalNotNull } from '../../common/validation/optional';

/** The JSON schema of a task config as documented (unknown keys are accepted and kept). */
export const TASK_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  // `required` here is the property's own requiredness (Swagger's ApiProperty); `targetUrl` is
  // required inside the config (the description and the example say so).
  required: true,
  description:
    'Scraping config, ≤ 64 KB of JSON: targetUrl (required), containerSelector, fields, maxPages, waitMs; unknown keys are kept for the workers',
  example: { targetUrl: 'https://example.com/products', maxPages: 1 },
  properties: {
    targetUrl: { type: 'string', format: 'uri', example: 'https://example.com/products' },
    containerSelector: { type: 'string', example: '.product' },
    fields: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { type: { type: 'string' }, selector: { type: 'string' } },
      },
    },
    maxPages: { type: 'integer', minimum: 1, maximum: 10000 },
    waitMs: { type: 'integer', minimum: 0, maximum: 600000 },
  },
} as const;

/** A new scraping task; it starts pending, for a worker to claim. */
export class CreateTaskDto {
  /** 1–200 characters. */
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoNul()
  name: string;

  @ApiProperty(TASK_CONFIG_SCHEMA as never)
  @IsTaskConfig()
  config: Record<string, unknown>;

  /** An organisation you are a member of; a personal task when absent or null. */
  @IsOptional()
  @IsUUID('all', { message: 'entityId must be a UUID' })
  entityId?: string | null;

  /** −100..100; higher runs first. */
  @IsOptionalNotNull()
  @IsInt()
  @Min(-100)
  @Max(100)
  priority?: number;

  /** 1–10 attempts before the task fails for good (default 3). */
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(10)
  maxAttempts?: number;
}
