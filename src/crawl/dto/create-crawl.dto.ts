import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { NoNul, trim } from '../../common/validation/transforms';
import { CRAWL_LIMITS } from '../crawl-row';
import { IsWebsiteUrl } from '../website-url';

/** A website to crawl: a new pending document. */
export class CreateCrawlDto {
  /**
   * http or https, no credentials, at most 2,048 characters. Stored normalised (lower-case
   * scheme and host, no fragment, no default port, no trailing slash except the root), which
   * is what makes it unique in the entity.
   * @example https://www.example.com/
   */
  @IsString()
  @MaxLength(CRAWL_LIMITS.urlLength)
  @IsWebsiteUrl()
  websiteUrl: string;

  /** 1–255 characters; null is the same as absent. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(CRAWL_LIMITS.companyName)
  @NoNul()
  companyName?: string | null;
}
