import { IfMatch, VersionCondition, Versioned } from '../common/http/etag';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { Scopes, Tenant, TenantContext, TenantRole } from '../common/auth/access';
import { CrawlService } from './crawl.service';
import { AddTestResultsDto } from './dto/add-test-results.dto';
import { CrawlByUrlQueryDto } from './dto/crawl-by-url.query.dto';
import { CrawlPageResponse, CrawlResponse, CrawlStatsResponse } from './dto/crawl.response';
import { CreateCrawlDto } from './dto/create-crawl.dto';
import { ListCrawlsQueryDto } from './dto/list-crawls.query.dto';
import { UpdateCrawlDto } from './dto/update-crawl.dto';
import { Idempotent } from '../common/idempotency/idempotent';

/** A UUID in any case, handed on lower-cased (MongoDB and SQLite compare ids as text). */
const crawlId = () => new ParseUUIDPipe();
const NOT_YOURS =
  'Not an admin or owner of the entity, nor the member who created this crawl (or the entity: not a member)';
const JSON_ONLY = 'The body is not application/json';

/**
 * Website crawl data of an entity. Members read and create; a document is edited (PATCH, test
 * results, DELETE) by an admin or owner of the entity or by the member who created it. API keys
 * need `crawls:read` for reads and `crawls:write` for writes (JWT callers have every scope).
 * The store behind it (MongoDB or the relational database) makes no difference here.
 */
@ApiTags('crawls')
@Controller('entities/:entityId/crawls')
export class CrawlController {
  constructor(private readonly crawls: CrawlService) {}

  /** Registers a website to crawl: a new pending document, its URL normalised. */
  @Post()
  @Idempotent()
  @TenantRole('member')
  @Scopes('crawls:write')
  @ApiCreatedResponse({ type: CrawlResponse })
  @ApiBadRequestResponse({
    description: 'websiteUrl is not an http(s) URL, carries credentials or is longer than 2,048',
  })
  @ApiConflictResponse({ description: 'The entity already has a crawl for this normalised URL' })
  @ApiPayloadTooLargeResponse({ description: 'The body is larger than 1 MiB' })
  @ApiUnsupportedMediaTypeResponse({ description: JSON_ONLY })
  create(@Tenant() tenant: TenantContext, @Body() dto: CreateCrawlDto): Promise<CrawlResponse> {
    return this.crawls.create(tenant, dto);
  }

  /**
   * Lists the entity's crawls newest first (keyset: `limit`, `cursor`), filtered by status, text
   * (`q`) and score range. Items leave out companyInfo, generatedQuestions and testResults.
   */
  @Get()
  @TenantRole('member')
  @Scopes('crawls:read')
  @ApiOkResponse({ type: CrawlPageResponse })
  @ApiBadRequestResponse({ description: 'A bad filter or cursor, or minScore > maxScore' })
  list(
    @Tenant() tenant: TenantContext,
    @Query() query: ListCrawlsQueryDto,
  ): Promise<CrawlPageResponse> {
    return this.crawls.list(tenant.entityId, query);
  }

  /** Counts by status and the average seo score of the entity's crawls. */
  @Get('stats')
  @TenantRole('member')
  @Scopes('crawls:read')
  @ApiOkResponse({ type: CrawlStatsResponse })
  stats(@Tenant() tenant: TenantContext): Promise<CrawlStatsResponse> {
    return this.crawls.stats(tenant.entityId);
  }

  /** Finds the crawl of a website by its URL (normalised before the lookup). */
  @Get('by-url')
  @TenantRole('member')
  @Scopes('crawls:read')
  @ApiOkResponse({ type: CrawlResponse })
  @ApiBadRequestResponse({ description: 'url is missing or not an acceptable http(s) URL' })
  @ApiNotFoundResponse({ description: 'No crawl for this URL in the entity (or not a member)' })
  byUrl(
    @Tenant() tenant: TenantContext,
    @Query() query: CrawlByUrlQueryDto,
  ): Promise<CrawlResponse> {
    return this.crawls.findByUrl(tenant.entityId, query.url);
  }

  /** The full document (served from the cache when it is there). */
  @Get(':crawlId')
  @TenantRole('member')
  @Scopes('crawls:read')
  @Versioned('crawl', 'crawlId')
  @ApiOkResponse({ type: CrawlResponse })
  @ApiBadRequestResponse({ description: 'crawlId is not a UUID' })
  @ApiNotFoundResponse({ description: 'No such crawl in the entity (or not a member)' })
  findOne(
    @Tenant() tenant: TenantContext,
    @Param('crawlId', crawlId()) id: string,
  ): Promise<CrawlResponse> {
    return this.crawls.findOne(tenant.entityId, id.toLowerCase());
  }

  /**
   * Changes fields and moves the status: pending → in_progress → completed | failed, and
   * completed | failed → pending (re-queue). Admin or owner, or the member who created it.
   */
  @Patch(':crawlId')
  @TenantRole('member')
  @Scopes('crawls:write')
  @Versioned('crawl', 'crawlId')
  @ApiOkResponse({ type: CrawlResponse })
  @ApiBadRequestResponse({
    description:
      'Invalid field: seoScore outside 0–1, an unknown status, an operator-like key ($…, a.b) in companyInfo or generatedQuestions',
  })
  @ApiForbiddenResponse({ description: NOT_YOURS })
  @ApiNotFoundResponse({ description: 'No such crawl in the entity (or not a member)' })
  @ApiConflictResponse({
    description:
      'A status change the transitions do not allow (the problem names the current status)',
  })
  @ApiPayloadTooLargeResponse({
    description: 'companyInfo or generatedQuestions over 256 KB of JSON, or the body over 1 MiB',
  })
  @ApiUnsupportedMediaTypeResponse({ description: JSON_ONLY })
  update(
    @Tenant() tenant: TenantContext,
    @Param('crawlId', crawlId()) id: string,
    @Body() dto: UpdateCrawlDto,
    @IfMatch() expected: VersionCondition,
  ): Promise<CrawlResponse> {
    return this.crawls.update(tenant, id.toLowerCase(), dto, expected);
  }

  /** Appends 1–100 test results atomically; the document keeps its newest 1,000. Answers the document. */
  @Post(':crawlId/test-results')
  @HttpCode(200)
  @TenantRole('member')
  @Scopes('crawls:write')
  @ApiOkResponse({ type: CrawlResponse })
  @ApiBadRequestResponse({ description: 'No results, more than 100, or an invalid result' })
  @ApiForbiddenResponse({ description: NOT_YOURS })
  @ApiNotFoundResponse({ description: 'No such crawl in the entity (or not a member)' })
  @ApiPayloadTooLargeResponse({ description: 'The body is larger than 1 MiB' })
  @ApiUnsupportedMediaTypeResponse({ description: JSON_ONLY })
  addTestResults(
    @Tenant() tenant: TenantContext,
    @Param('crawlId', crawlId()) id: string,
    @Body() dto: AddTestResultsDto,
  ): Promise<CrawlResponse> {
    return this.crawls.addTestResults(tenant, id.toLowerCase(), dto);
  }

  /** Deletes the document. Admin or owner, or the member who created it. */
  @Delete(':crawlId')
  @HttpCode(204)
  @TenantRole('member')
  @Scopes('crawls:write')
  @Versioned('crawl', 'crawlId')
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBadRequestResponse({ description: 'crawlId is not a UUID' })
  @ApiForbiddenResponse({ description: NOT_YOURS })
  @ApiNotFoundResponse({ description: 'No such crawl in the entity (or not a member)' })
  async remove(
    @Tenant() tenant: TenantContext,
    @Param('crawlId', crawlId()) id: string,
    @IfMatch() expected: VersionCondition,
  ): Promise<void> {
    await this.crawls.remove(tenant, id.toLowerCase(), expected);
  }
}
