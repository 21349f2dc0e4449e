import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CursorPageQueryDto } from '../../common/pagination/pagination';
import { NoNul, toInteger } from '../../common/validation/transforms';
import { LEAD_STATUSES, LeadStatus } from '../lead.entity';

/** Longest search fragment accepted (names are ≤ 100 characters). */
export const MAX_SEARCH_LENGTH = 100;
/** page × limit may not go past this: deeper pages are the cursor's job. */
export const MAX_PAGE_DEPTH = 10_000;
/**
 * Numbered pages count matches exactly up to this many; beyond, `total` is this and
 * `totalIsEstimate` true. No numbered page reaches further, so counting further serves nothing.
 */
export const COUNT_CAP = MAX_PAGE_DEPTH;

/**
 * Filters of the lead list. Keyset mode (`limit`, `cursor`) by default; with `page` the
 * answer is a numbered page with `total` (page × limit ≤ 10,000; `total` counted up to
 * 10,000, then `totalIsEstimate`). A non-blank `search` is also counted by the stricter
 * search rate limit (SEARCH_THROTTLE_LIMIT).
 */
export class ListLeadsQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ enum: LEAD_STATUSES })
  @IsOptional()
  @IsIn(LEAD_STATUSES, { message: `status must be one of ${LEAD_STATUSES.join(', ')}` })
  status?: LeadStatus;

  /** Case-insensitive substring of first name, last name or email; `%`, `_` and `\` match literally. */
  @ApiPropertyOptional({ maxLength: MAX_SEARCH_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SEARCH_LENGTH)
  @NoNul()
  search?: string;

  /** Created at or after (ISO 8601). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdFrom must be an ISO 8601 date-time' })
  createdFrom?: string;

  /** Created before (ISO 8601). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdTo must be an ISO 8601 date-time' })
  createdTo?: string;

  /** Numbered-page mode (1-based); the answer carries `total`. */
  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_DEPTH)
  page?: number;
}

/** Leads created in the last `days` days (1–365), newest first, keyset-paged. */
export class RecentLeadsQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 365, default: 7 })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(365)
  days: number = 7;
}
