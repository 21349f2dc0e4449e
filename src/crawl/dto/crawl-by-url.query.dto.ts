import { IsString, MaxLength } from 'class-validator';
import { CRAWL_LIMITS } from '../crawl-row';
import { IsWebsiteUrl } from '../website-url';

/** `?url=…`: normalised like websiteUrl before the lookup, so any spelling of the same URL finds it. */
export class CrawlByUrlQueryDto {
  /** @example https://example.com/ */
  @IsString()
  @MaxLength(CRAWL_LIMITS.urlLength)
  @IsWebsiteUrl()
  url: string;
}
