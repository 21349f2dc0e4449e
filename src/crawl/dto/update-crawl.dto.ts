import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { NoNul, trim } from '../../common/validation/transforms';
import { CRAWL_LIMITS, CRAWL_STATUSES, CrawlStatus, JsonObject } from '../crawl-row';
import { IsSafeDocument } from '../safe-document';
import { IsOptionalNotNull } from '../../common/validation/optional';

/**
 * Any subset of the fields. `null` clears a nullable field. crawlStatus follows the
 * transitions pending → in_progress → completed | failed, and completed | failed → pending
 * (re-queue); completed sets crawledAt.
 */
export class UpdateCrawlDto {
  @ApiPropertyOptional({ enum: CRAWL_STATUSES })
  @IsOptionalNotNull()
  @IsIn(CRAWL_STATUSES, { message: `crawlStatus must be one of ${CRAWL_STATUSES.join(', ')}` })
  crawlStatus?: CrawlStatus;

  /** 1–255 characters, or null. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(CRAWL_LIMITS.companyName)
  @NoNul()
  companyName?: string | null;

  /** Up to 500 characters, or null. */
  @IsOptional()
  @IsString()
  @MaxLength(CRAWL_LIMITS.pageTitle)
  @NoNul()
  pageTitle?: string | null;

  /** Up to 2,000 characters, or null. */
  @IsOptional()
  @IsString()
  @MaxLength(CRAWL_LIMITS.metaDescription)
  @NoNul()
  metaDescription?: string | null;

  /** Extracted company information: a JSON object of at most 256 KB (413 beyond), no key starting with `$` or containing `.`, at any depth; or null. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsSafeDocument()
  companyInfo?: JsonObject | null;

  /** Generated SEO questions: same rules as companyInfo. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsSafeDocument()
  generatedQuestions?: JsonObject | null;

  /** 0–1, or null. */
  @ApiPropertyOptional({ minimum: 0, maximum: 1, nullable: true, type: 'number' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'seoScore must be a number' })
  @Min(0)
  @Max(1)
  seoScore?: number | null;

  /** Up to 2,000 characters, or null. */
  @IsOptional()
  @IsString()
  @MaxLength(CRAWL_LIMITS.errorMessage)
  @NoNul()
  errorMessage?: string | null;
}
