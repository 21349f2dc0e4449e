import { assertVersion, throwStaleOrMissing, VersionCondition } from '../common/http/etag';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { CacheKeys } from '../cache/cache-keys';
import { CacheService } from '../cache/cache.service';
import { roleAtLeast, TenantContext } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { CRAWL_LIMITS, CrawlChanges, CrawlRow, CrawlStatus, TestResult } from './crawl-row';
import { CrawlRepository, CrawlStoreBackup } from './crawl.repository';
import { AddTestResultsDto } from './dto/add-test-results.dto';
import { CreateCrawlDto } from './dto/create-crawl.dto';
import {
  CrawlResponse,
  CrawlStatsResponse,
  CrawlSummaryResponse,
  toCrawlResponse,
  toCrawlStatsResponse,
  toCrawlSummaryResponse,
} from './dto/crawl.response';
import { ListCrawlsQueryDto } from './dto/list-crawls.query.dto';
import { UpdateCrawlDto } from './dto/update-crawl.dto';
import { jsonBytes } from './safe-document';
import { isNormalized, normalizeWebsiteUrl, NormalizedWebsiteUrl } from './website-url';

/** The status machine: pending → in_progress → completed | failed; completed | failed → pending (re-queue). */
export const CRAWL_TRANSITIONS: Record<CrawlStatus, readonly CrawlStatus[]> = {
  pending: ['in_progress'],
  in_progress: ['completed', 'failed'],
  completed: ['pending'],
  failed: ['pending'],
};

const notFound = () => new NotFoundException('Crawl not found');

/**
 * The rules of website crawl data; the only caller of CrawlRepository (whichever store is
 * behind it). Answers response DTOs. Members read and create; a document is edited (PATCH,
 * test results, DELETE) by an admin or owner of the entity, or by the member who created it.
 * Full documents are cached (`crawl:{entityId}:{id}`) and dropped on every write.
 */
@Injectable()
export class CrawlService {
  /** Writes seen by this instance: a read that overlapped one does not fill the cache. */
  private writes = 0;

  constructor(
    private readonly crawls: CrawlRepository,
    private readonly cache: CacheService,
    private readonly clock: Clock,
  ) {}

  /** A new pending document; 409 when the entity already has this normalised URL (the unique index decides). */
  async create(tenant: TenantContext, dto: CreateCrawlDto): Promise<CrawlResponse> {
    const { url, domain } = this.normalize(dto.websiteUrl, 'websiteUrl');
    const row = await this.crawls.insertCrawl(tenant.entityId, {
      websiteUrl: url,
      domain,
      companyName: dto.companyName ?? null,
      createdBy: tenant.userId,
    });
    if (!row) {
      throw new ConflictException({
        detail: `This entity already has a crawl for ${url}`,
        errors: [{ field: 'websiteUrl', message: 'already exists in this entity (normalised)' }],
      });
    }
    return toCrawlResponse(row);
  }

  async list(entityId: string, query: ListCrawlsQueryDto): Promise<Page<CrawlSummaryResponse>> {
    if (
      query.minScore !== undefined &&
      query.maxScore !== undefined &&
      query.minScore > query.maxScore
    ) {
      throw new BadRequestException({
        detail: 'minScore must not be greater than maxScore',
        errors: [{ field: 'minScore', message: 'must not be greater than maxScore' }],
      });
    }
    const search = query.q?.trim();
    const rows = await this.crawls.findPage(
      entityId,
      {
        status: query.status,
        search: search ? search : undefined,
        minScore: query.minScore,
        maxScore: query.maxScore,
      },
      query.limit,
      decodeCursor(query.cursor),
    );
    return toPage(rows, query.limit, toCrawlSummaryResponse);
  }

  /** The full document, from the cache when it is there. */
  async findOne(entityId: string, id: string): Promise<CrawlResponse> {
    const key = CacheKeys.crawl(entityId, id);
    const cached = await this.cache.get<CrawlResponse>(key);
    if (cached) return cached;
    const writesBefore = this.writes;
    const response = toCrawlResponse(await this.current(entityId, id));
    if (this.writes === writesBefore) await this.cache.set(key, response);
    return response;
  }

  async findByUrl(entityId: string, rawUrl: string): Promise<CrawlResponse> {
    const { url } = this.normalize(rawUrl, 'url');
    const row = await this.crawls.findByUrl(entityId, url);
    if (!row) throw notFound();
    return toCrawlResponse(row);
  }

  /**
   * Field changes and, when crawlStatus differs from the current one, a transition of
   * CRAWL_TRANSITIONS (409 otherwise, naming the current status). Entering completed sets
   * crawledAt. The write is conditional on the status read, so two concurrent transitions
   * cannot both apply; the loser re-reads and is judged against the new status.
   */
  async update(
    tenant: TenantContext,
    id: string,
    dto: UpdateCrawlDto,
    expected?: VersionCondition,
  ): Promise<CrawlResponse> {
    this.assertSize('companyInfo', dto.companyInfo);
    this.assertSize('generatedQuestions', dto.generatedQuestions);
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.current(tenant.entityId, id);
      this.assertCanEdit(tenant, current);
      assertVersion(expected, current.version);
      const changes: CrawlChanges = {};
      for (const key of [
        'companyName',
        'pageTitle',
        'metaDescription',
        'companyInfo',
        'generatedQuestions',
        'seoScore',
        'errorMessage',
      ] as const) {
        if (dto[key] !== undefined) (changes as Record<string, unknown>)[key] = dto[key];
      }
      let whileStatus: CrawlStatus | undefined;
      if (dto.crawlStatus !== undefined && dto.crawlStatus !== current.crawlStatus) {
        this.assertTransition(current.crawlStatus, dto.crawlStatus);
        changes.crawlStatus = dto.crawlStatus;
        if (dto.crawlStatus === 'completed') changes.crawledAt = this.clock.now();
        whileStatus = current.crawlStatus;
      }
      if (Object.keys(changes).length === 0) return toCrawlResponse(current);
      const applied = await this.crawls.updateCrawl(
        tenant.entityId,
        id,
        changes,
        whileStatus,
        expected,
      );
      if (applied) {
        await this.invalidate(tenant.entityId, id);
        return toCrawlResponse(await this.current(tenant.entityId, id));
      }
      // Gone → 404 on the re-read; at another version → 412; another status → judged again.
      if (!whileStatus && expected === undefined) throw notFound();
    }
    throw new ConflictException('The crawl changed concurrently; retry');
  }

  /** Appends 1–100 results atomically; the document keeps its newest 1,000. */
  async addTestResults(
    tenant: TenantContext,
    id: string,
    dto: AddTestResultsDto,
  ): Promise<CrawlResponse> {
    const current = await this.current(tenant.entityId, id);
    this.assertCanEdit(tenant, current);
    const results: TestResult[] = dto.results.map((r) => ({
      question: r.question,
      answer: r.answer ?? null,
      passed: r.passed,
      score: r.score ?? null,
      testedAt: new Date(r.testedAt),
    }));
    const appended = await this.crawls.appendTestResults(
      tenant.entityId,
      id,
      results,
      CRAWL_LIMITS.testResultsKept,
    );
    if (!appended) throw notFound();
    await this.invalidate(tenant.entityId, id);
    return toCrawlResponse(await this.current(tenant.entityId, id));
  }

  async remove(tenant: TenantContext, id: string, expected?: VersionCondition): Promise<void> {
    const current = await this.current(tenant.entityId, id);
    this.assertCanEdit(tenant, current);
    assertVersion(expected, current.version);
    const deleted = await this.crawls.deleteCrawl(tenant.entityId, id, expected);
    await this.invalidate(tenant.entityId, id);
    if (deleted) return;
    throwStaleOrMissing(
      await this.crawls.findById(tenant.entityId, id, { primary: true }),
      expected,
      notFound,
    );
  }

  async stats(entityId: string): Promise<CrawlStatsResponse> {
    return toCrawlStatsResponse(await this.crawls.stats(entityId));
  }

  /** Crawl documents of all entities, in whichever store (platform admins' stats). */
  countAll(): Promise<number> {
    return this.crawls.countAll();
  }

  /** Which store holds the crawl documents (a backup says it; a restore must match it). */
  get store(): 'sql' | 'mongo' {
    return this.crawls.store;
  }

  /** The crawl store's own backup when it is not the relational database (MongoDB), else null. */
  storeBackup(): CrawlStoreBackup | null {
    return this.crawls.storeBackup();
  }

  /** Admins and owners edit any document of the entity; members only the ones they created. */
  private assertCanEdit(tenant: TenantContext, row: CrawlRow): void {
    if (roleAtLeast(tenant.role, 'admin') || row.createdBy === tenant.userId) return;
    throw new ForbiddenException(
      'Only the member who created this crawl, or an admin or owner of the entity, may change it',
    );
  }

  private assertTransition(from: CrawlStatus, to: CrawlStatus): void {
    if (CRAWL_TRANSITIONS[from].includes(to)) return;
    const allowed = CRAWL_TRANSITIONS[from].join(' or ');
    throw new ConflictException({
      detail: `crawlStatus cannot change from ${from} to ${to}; the current status is ${from} (next: ${allowed})`,
      errors: [
        { field: 'crawlStatus', message: `current status is ${from}; allowed next: ${allowed}` },
      ],
    });
  }

  /** company_info / generated_questions: at most 256 KB of JSON each, else 413. */
  private assertSize(field: string, value: unknown): void {
    if (value === undefined || value === null) return;
    const bytes = jsonBytes(value);
    if (bytes <= CRAWL_LIMITS.objectBytes) return;
    throw new PayloadTooLargeException({
      detail: `${field} is ${bytes} bytes of JSON; at most ${CRAWL_LIMITS.objectBytes} are accepted`,
      errors: [{ field, message: `must be at most ${CRAWL_LIMITS.objectBytes} bytes as JSON` }],
    });
  }

  private normalize(raw: string, field: string): NormalizedWebsiteUrl {
    const result = normalizeWebsiteUrl(raw);
    if (isNormalized(result)) return result;
    // The DTO validated it already; this keeps the service safe on its own.
    throw new BadRequestException({
      detail: `${field} ${result.error}`,
      errors: [{ field, message: result.error }],
    });
  }

  /** Reads that decide a write, read one back or fill the cache: on the primary. */
  private async current(entityId: string, id: string): Promise<CrawlRow> {
    const row = await this.crawls.findById(entityId, id, { primary: true });
    if (!row) throw notFound();
    return row;
  }

  /** After every write: this instance's cache fills that overlapped it are skipped; every instance drops its copy. */
  private async invalidate(entityId: string, id: string): Promise<void> {
    this.writes++;
    await this.cache.del(CacheKeys.crawl(entityId, id));
  }
}
