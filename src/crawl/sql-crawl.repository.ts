import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Clock } from '../common/clock/clock';
import { CursorPosition } from '../common/pagination/pagination';
import { afterKeyset, applyKeyset, keysetParameters, orderByKeyset } from '../database/keyset';
import { likeContains } from '../database/like';
import { SqlRepository, toDate } from '../database/sql-repository';
import { UnitOfWork } from '../database/unit-of-work';
import {
  CrawlChanges,
  CrawlFilters,
  CrawlRow,
  CrawlStats,
  CrawlStatus,
  CrawlSummaryRow,
  emptyStatusCounts,
  JsonObject,
  NewCrawl,
  searchWords,
  TestResult,
} from './crawl-row';
import { CrawlReadOptions, CrawlRepository } from './crawl.repository';
import { WebsiteCrawl } from './website-crawl.entity';
import { VersionCondition } from '../common/http/etag';
import { whereVersion } from '../database/versioning';

/** Column → property of what a list returns (no heavy JSON columns). */
const SUMMARY_COLUMNS: Array<[string, keyof CrawlRow]> = [
  ['id', 'id'],
  ['entity_id', 'entityId'],
  ['website_url', 'websiteUrl'],
  ['domain', 'domain'],
  ['company_name', 'companyName'],
  ['page_title', 'pageTitle'],
  ['meta_description', 'metaDescription'],
  ['crawl_status', 'crawlStatus'],
  ['error_message', 'errorMessage'],
  ['seo_score', 'seoScore'],
  ['created_by', 'createdBy'],
  ['crawled_at', 'crawledAt'],
  ['version', 'version'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
];
const DOCUMENT_COLUMNS: Array<[string, keyof CrawlRow]> = [
  ...SUMMARY_COLUMNS,
  ['company_info', 'companyInfo'],
  ['generated_questions', 'generatedQuestions'],
  ['test_results', 'testResults'],
];

/** Documents walked newest-first before a PostgreSQL text search falls back to the GIN index. */
export const SEARCH_WINDOW = 2_000;

/** SQLite returns JSON columns as text; PostgreSQL (jsonb) as values. */
const json = <T>(value: unknown): T | null =>
  value === null || value === undefined
    ? null
    : ((typeof value === 'string' ? JSON.parse(value) : value) as T);

/** Test results as stored in JSON (ISO time): the same shape as the Mongo subdocuments. */
interface StoredTestResult {
  question: string;
  answer: string | null;
  passed: boolean;
  score: number | null;
  testedAt: string;
}
const storeTestResult = (r: TestResult): StoredTestResult => ({
  question: r.question,
  answer: r.answer ?? null,
  passed: r.passed,
  score: r.score ?? null,
  testedAt: r.testedAt.toISOString(),
});
const loadTestResult = (r: StoredTestResult): TestResult => ({
  question: r.question,
  answer: r.answer ?? null,
  passed: r.passed,
  score: r.score ?? null,
  testedAt: new Date(r.testedAt),
});

function toSummaryRow(raw: Record<string, unknown>): CrawlSummaryRow {
  return {
    id: raw.id as string,
    entityId: raw.entityId as string,
    websiteUrl: raw.websiteUrl as string,
    domain: raw.domain as string,
    companyName: (raw.companyName as string | null) ?? null,
    pageTitle: (raw.pageTitle as string | null) ?? null,
    metaDescription: (raw.metaDescription as string | null) ?? null,
    crawlStatus: raw.crawlStatus as CrawlStatus,
    errorMessage: (raw.errorMessage as string | null) ?? null,
    seoScore: raw.seoScore === null || raw.seoScore === undefined ? null : Number(raw.seoScore),
    createdBy: raw.createdBy as string,
    crawledAt: toDate(raw.crawledAt),
    version: Number(raw.version ?? 1),
    createdAt: toDate(raw.createdAt)!,
    updatedAt: toDate(raw.updatedAt)!,
  };
}

function toRow(raw: Record<string, unknown>): CrawlRow {
  return {
    ...toSummaryRow(raw),
    companyInfo: json<JsonObject>(raw.companyInfo),
    generatedQuestions: json<JsonObject>(raw.generatedQuestions),
    testResults: (json<StoredTestResult[]>(raw.testResults) ?? []).map(loadTestResult),
  };
}

/**
 * The crawl store on TypeORM (table website_crawl_data, JSON columns): the embedded default
 * and PostgreSQL-only deployments. Text search: the generated tsvector + GIN index on
 * PostgreSQL (any word, `simple` configuration), LIKE on SQLite (any word as a substring).
 */
@Injectable()
export class SqlCrawlRepository extends SqlRepository implements CrawlRepository {
  readonly store = 'sql' as const;

  private readonly insert = this.prepared.statement(
    () =>
      `INSERT INTO "website_crawl_data" (${DOCUMENT_COLUMNS.map(([c]) => `"${c}"`).join(', ')}) ` +
      `VALUES (${DOCUMENT_COLUMNS.map(([, p]) => `:${p}`).join(', ')}) ` +
      `ON CONFLICT ("entity_id", "website_url") DO NOTHING RETURNING "id"`,
  );
  private readonly byId = this.prepared.statement(() =>
    this.select(DOCUMENT_COLUMNS).where('c.entity_id = :entityId AND c.id = :id').getQuery(),
  );
  /** Pages without a text search: one SQL text per combination of filters present. */
  private readonly page = this.prepared.statement((p) => {
    const cursor = p.cursorId ? { createdAt: p.cursorCreatedAt, id: p.cursorId } : null;
    const qb = this.filter(this.select(SUMMARY_COLUMNS), p.entityId, {
      status: p.status,
      minScore: p.minScore,
      maxScore: p.maxScore,
    });
    return `${orderByKeyset(qb, 'c', cursor).getQuery()} LIMIT :limit`;
  });

  constructor(
    @InjectDataSource() dataSource: DataSource,
    clock: Clock,
    private readonly uow: UnitOfWork,
  ) {
    super(dataSource, clock);
  }

  /** One INSERT … ON CONFLICT DO NOTHING: a duplicate URL inserts nothing and reads nothing. */
  async insertCrawl(entityId: string, values: NewCrawl): Promise<CrawlRow | null> {
    const row: CrawlRow = {
      ...this.stamp(),
      entityId,
      ...values,
      pageTitle: null,
      metaDescription: null,
      crawlStatus: 'pending',
      errorMessage: null,
      seoScore: null,
      crawledAt: null,
      companyInfo: null,
      generatedQuestions: null,
      testResults: [],
      version: 1,
    };
    const inserted = await this.insert.rows(
      {
        ...row,
        companyInfo: null,
        generatedQuestions: null,
        testResults: '[]',
      },
      { primary: true },
    );
    return inserted.length > 0 ? row : null;
  }

  async findById(
    entityId: string,
    id: string,
    options?: CrawlReadOptions,
  ): Promise<CrawlRow | null> {
    const [raw] = await this.byId.rows({ entityId, id }, options);
    return raw ? toRow(raw) : null;
  }

  async findByUrl(
    entityId: string,
    websiteUrl: string,
    options?: CrawlReadOptions,
  ): Promise<CrawlRow | null> {
    const raw = await this.on(options, (manager) =>
      this.select(DOCUMENT_COLUMNS, manager.createQueryBuilder(WebsiteCrawl, 'c'))
        .where('c.entity_id = :entityId AND c.website_url = :websiteUrl', { entityId, websiteUrl })
        .getRawOne<Record<string, unknown>>(),
    );
    return raw ? toRow(raw) : null;
  }

  async findPage(
    entityId: string,
    filters: CrawlFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<CrawlSummaryRow[]> {
    if (filters.search && this.postgres)
      return this.searchPostgres(entityId, filters, limit, cursor);
    if (filters.search) {
      const qb = this.filter(this.select(SUMMARY_COLUMNS), entityId, filters);
      return (await applyKeyset(qb, 'c', cursor, limit).getRawMany()).map(toSummaryRow);
    }
    const raws = await this.page.rows({
      entityId,
      status: filters.status,
      minScore: filters.minScore,
      maxScore: filters.maxScore,
      ...keysetParameters(cursor),
      limit: limit + 1,
    });
    return raws.map(toSummaryRow);
  }

  /**
   * Text search on PostgreSQL, shaped so no plan can go badly wrong whatever the statistics
   * say (the plain query walks the keyset index backwards hunting for a rare word: 185 ms at
   * 100k documents for a word that is absent). As for the leads' search:
   * 1. the newest SEARCH_WINDOW documents (after the cursor), walked by the keyset index and
   *    filtered — a common word fills the page here;
   * 2. otherwise every match through the GIN index in a MATERIALIZED CTE, then sorted.
   */
  private async searchPostgres(
    entityId: string,
    filters: CrawlFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<CrawlSummaryRow[]> {
    const { search, ...rest } = filters;
    const words = searchWords(search!);
    if (words.length === 0) return [];
    const columns = SUMMARY_COLUMNS.map(([, property]) => `w."${property}"`).join(', ');
    const windowQb = applyKeyset(
      this.filter(this.select(SUMMARY_COLUMNS), entityId, rest).addSelect(
        'c.search_vector',
        'searchVector',
      ),
      'c',
      cursor,
      SEARCH_WINDOW - 1,
    );
    const [windowSql, windowParams] = windowQb.getQueryAndParameters();
    const recent: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${columns} FROM (${windowSql}) w
        WHERE w."searchVector" @@ to_tsquery('simple', $${windowParams.length + 1})
        ORDER BY w."createdAt" DESC, w."id" DESC LIMIT ${limit + 1}`,
      [...windowParams, words.join(' | ')],
    );
    if (recent.length > limit) return recent.map(toSummaryRow);
    // The cursor condition without the keyset order: sorting happens after the CTE.
    const [sql, params] = afterKeyset(
      this.filter(this.select(SUMMARY_COLUMNS), entityId, filters),
      'c',
      cursor,
    ).getQueryAndParameters();
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `WITH m AS MATERIALIZED (${sql}) SELECT * FROM m ORDER BY "createdAt" DESC, "id" DESC LIMIT ${limit + 1}`,
      params,
    );
    return rows.map(toSummaryRow);
  }

  async updateCrawl(
    entityId: string,
    id: string,
    changes: CrawlChanges,
    whileStatus?: CrawlStatus,
    expected?: VersionCondition,
  ): Promise<boolean> {
    // The query-builder UPDATE bumps `version` (VersionedEntity).
    const qb = this.dataSource
      .createQueryBuilder()
      .update(WebsiteCrawl)
      // JSON columns take the object as is (TypeORM serialises jsonb / simple-json).
      .set({ ...changes, updatedAt: this.clock.now() } as QueryDeepPartialEntity<WebsiteCrawl>)
      .where('entity_id = :entityId AND id = :id', { entityId, id });
    if (whileStatus) qb.andWhere('crawl_status = :whileStatus', { whileStatus });
    const result = await whereVersion(qb, expected).execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * One transaction: the row is locked (PostgreSQL: SELECT … FOR UPDATE; SQLite: the unit of
   * work holds the write lock from BEGIN IMMEDIATE), the results appended, the newest `keep` kept.
   */
  async appendTestResults(
    entityId: string,
    id: string,
    results: TestResult[],
    keep: number,
  ): Promise<boolean> {
    return this.uow.run(async ({ manager }) => {
      const qb = manager
        .createQueryBuilder()
        .select('c.test_results', 'testResults')
        .from(WebsiteCrawl, 'c')
        .where('c.entity_id = :entityId AND c.id = :id', { entityId, id });
      if (this.postgres) qb.setLock('pessimistic_write');
      const raw = await qb.getRawOne<{ testResults: unknown }>();
      if (!raw) return false;
      const kept = [
        ...(json<StoredTestResult[]>(raw.testResults) ?? []),
        ...results.map(storeTestResult),
      ].slice(-keep);
      await manager
        .createQueryBuilder()
        .update(WebsiteCrawl)
        .set({
          testResults: kept,
          updatedAt: this.clock.now(),
        } as unknown as QueryDeepPartialEntity<WebsiteCrawl>)
        .where('entity_id = :entityId AND id = :id', { entityId, id })
        .execute();
      return true;
    });
  }

  async deleteCrawl(entityId: string, id: string, expected?: VersionCondition): Promise<boolean> {
    const qb = this.dataSource
      .createQueryBuilder()
      .delete()
      .from(WebsiteCrawl)
      .where('entity_id = :entityId AND id = :id', { entityId, id });
    const result = await whereVersion(qb, expected).execute();
    return (result.affected ?? 0) > 0;
  }

  /** One GROUP BY: count, sum and count of scores per status; the average is worked out from them. */
  async stats(entityId: string): Promise<CrawlStats> {
    const raws = await this.dataSource
      .createQueryBuilder()
      .select('c.crawl_status', 'status')
      .addSelect('COUNT(*)', 'n')
      .addSelect('SUM(c.seo_score)', 'scoreSum')
      .addSelect('COUNT(c.seo_score)', 'scored')
      .from(WebsiteCrawl, 'c')
      .where('c.entity_id = :entityId', { entityId })
      .groupBy('c.crawl_status')
      .getRawMany<{ status: CrawlStatus; n: unknown; scoreSum: unknown; scored: unknown }>();
    const byStatus = emptyStatusCounts();
    let sum = 0;
    let scored = 0;
    for (const raw of raws) {
      byStatus[raw.status] = Number(raw.n);
      sum += Number(raw.scoreSum ?? 0);
      scored += Number(raw.scored ?? 0);
    }
    return { byStatus, averageSeoScore: scored > 0 ? sum / scored : null };
  }

  async countAll(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: unknown }>>(
      'SELECT COUNT(*) AS n FROM website_crawl_data',
    );
    return Number(row?.n ?? 0);
  }

  /** The relational backup reads website_crawl_data like every other table. */
  storeBackup(): null {
    return null;
  }

  private select(
    columns: Array<[string, keyof CrawlRow]>,
    qb: SelectQueryBuilder<WebsiteCrawl> = this.dataSource
      .getRepository(WebsiteCrawl)
      .createQueryBuilder('c'),
  ): SelectQueryBuilder<WebsiteCrawl> {
    qb.select(`c.${columns[0][0]}`, columns[0][1]);
    for (const [column, property] of columns.slice(1)) qb.addSelect(`c.${column}`, property);
    return qb;
  }

  /** The entity (always) and the filters present, as WHERE conditions with named parameters. */
  private filter(
    qb: SelectQueryBuilder<WebsiteCrawl>,
    entityId: string,
    f: CrawlFilters,
  ): SelectQueryBuilder<WebsiteCrawl> {
    qb.where('c.entity_id = :entityId', { entityId });
    if (f.status) qb.andWhere('c.crawl_status = :status', { status: f.status });
    if (f.minScore !== undefined) qb.andWhere('c.seo_score >= :minScore', { minScore: f.minScore });
    if (f.maxScore !== undefined) qb.andWhere('c.seo_score <= :maxScore', { maxScore: f.maxScore });
    const words = f.search ? searchWords(f.search) : [];
    if (f.search && words.length === 0) qb.andWhere('1 = 0');
    if (words.length > 0 && this.postgres) {
      // Words are letters and digits only, so joining them with | is a well-formed tsquery.
      qb.andWhere(`c.search_vector @@ to_tsquery('simple', :tsquery)`, {
        tsquery: words.join(' | '),
      });
    } else if (words.length > 0) {
      qb.andWhere(
        new Brackets((any) => {
          words.forEach((word, i) => {
            for (const column of ['company_name', 'page_title', 'meta_description'])
              any.orWhere(`lower(c.${column}) LIKE :word${i} ESCAPE '\\'`, {
                [`word${i}`]: likeContains(word),
              });
          });
        }),
      );
    }
    return qb;
  }
}
