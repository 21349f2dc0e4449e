import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CursorPageQueryDto } from '../../common/pagination/pagination';
import { NoNul } from '../../common/validation/transforms';
import { CRAWL_LIMITS, CRAWL_STATUSES, CrawlStatus } from '../crawl-row';

/** Query strings arrive as text: plain decimals become numbers, anything else fails @IsNumber. */
const toDecimal = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;

/** Filters of the crawl list; keyset paging newest first. */
export class ListCrawlsQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ enum: CRAWL_STATUSES })
  @IsOptional()
  @IsIn(CRAWL_STATUSES, { message: `status must be one of ${CRAWL_STATUSES.join(', ')}` })
  status?: CrawlStatus;

  /**
   * Text search: documents with any of these words in the company name, page title or meta
   * description (whole words on PostgreSQL and MongoDB; substrings on SQLite).
   */
  @ApiPropertyOptional({ maxLength: CRAWL_LIMITS.search })
  @IsOptional()
  @IsString()
  @MaxLength(CRAWL_LIMITS.search)
  @NoNul()
  q?: string;

  /** seo score at least this (0–1); unscored documents never match a score filter. */
  @ApiPropertyOptional({ minimum: 0, maximum: 1, type: 'number' })
  @IsOptional()
  @Transform(toDecimal)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'minScore must be a number' })
  @Min(0)
  @Max(1)
  minScore?: number;

  /** seo score at most this (0–1). */
  @ApiPropertyOptional({ minimum: 0, maximum: 1, type: 'number' })
  @IsOptional()
  @Transform(toDecimal)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'maxScore must be a number' })
  @Min(0)
  @Max(1)
  maxScore?: number;
}
