import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID, Matches } from 'class-validator';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** `?from=YYYY-MM-DD&to=YYYY-MM-DD` (UTC days, inclusive; default: the last 30 days), ≤ 366 days. */
export class UsageQueryDto {
  /** First UTC day (inclusive). Default: 29 days before `to`. */
  @ApiPropertyOptional({ format: 'date', example: '2026-01-01' })
  @IsOptional()
  @Matches(DAY, { message: 'from must be a date (YYYY-MM-DD)' })
  from?: string;

  /** Last UTC day (inclusive). Default: today. */
  @ApiPropertyOptional({ format: 'date', example: '2026-01-31' })
  @IsOptional()
  @Matches(DAY, { message: 'to must be a date (YYYY-MM-DD)' })
  to?: string;

  /** Platform admins only: whose usage. Default: yours. */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId?: string;
}
