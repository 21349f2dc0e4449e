import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, DateTimeString, isoDateTime } from '../../common/http/date-time';
import {
  CRAWL_STATUSES,
  CrawlRow,
  CrawlStats,
  CrawlStatus,
  CrawlSummaryRow,
  TestResult,
} from '../crawl-row';

export class TestResultResponse {
  question: string;
  answer: string | null;
  passed: boolean;
  score: number | null;
  @ApiDateTime()
  testedAt: DateTimeString;
}

/** A crawl as a list shows it: no companyInfo, generatedQuestions or testResults. */
export class CrawlSummaryResponse {
  id: string;
  entityId: string;
  /** Normalised. */
  websiteUrl: string;
  /** Derived from websiteUrl (host without `www.`). */
  domain: string;
  companyName: string | null;
  pageTitle: string | null;
  metaDescription: string | null;
  @ApiProperty({ enum: CRAWL_STATUSES })
  crawlStatus: CrawlStatus;
  errorMessage: string | null;
  /** 0–1. */
  seoScore: number | null;
  /** The user who created it. */
  createdBy: string;
  /** When the crawl completed. */
  @ApiDateTime({ nullable: true })
  crawledAt: DateTimeString | null;
  /** Bumped by every write; the `ETag` of the crawl's routes is made from it. */
  version: number;
  @ApiDateTime()
  createdAt: DateTimeString;
  @ApiDateTime()
  updatedAt: DateTimeString;
}

/** The full document. */
export class CrawlResponse extends CrawlSummaryResponse {
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  companyInfo: Record<string, unknown> | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  generatedQuestions: Record<string, unknown> | null;
  /** The newest 1,000, oldest first. */
  @ApiProperty({ type: [TestResultResponse] })
  testResults: TestResultResponse[];
}

export class CrawlPageResponse {
  @ApiProperty({ type: [CrawlSummaryResponse] })
  items: CrawlSummaryResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export class CrawlStatusCountsResponse {
  pending: number;
  in_progress: number;
  completed: number;
  failed: number;
}

export class CrawlStatsResponse {
  total: number;
  @ApiProperty({ type: CrawlStatusCountsResponse })
  byStatus: CrawlStatusCountsResponse;
  /** Average of the scored documents (0–1); null when none is scored. */
  averageSeoScore: number | null;
}

export function toCrawlSummaryResponse(row: CrawlSummaryRow): CrawlSummaryResponse {
  return {
    id: row.id,
    entityId: row.entityId,
    websiteUrl: row.websiteUrl,
    domain: row.domain,
    companyName: row.companyName,
    pageTitle: row.pageTitle,
    metaDescription: row.metaDescription,
    crawlStatus: row.crawlStatus,
    errorMessage: row.errorMessage,
    seoScore: row.seoScore,
    createdBy: row.createdBy,
    crawledAt: isoDateTime(row.crawledAt),
    version: row.version,
    createdAt: isoDateTime(row.createdAt),
    updatedAt: isoDateTime(row.updatedAt),
  };
}

const toTestResultResponse = (r: TestResult): TestResultResponse => ({
  question: r.question,
  answer: r.answer ?? null,
  passed: r.passed,
  score: r.score ?? null,
  testedAt: isoDateTime(r.testedAt),
});

export function toCrawlResponse(row: CrawlRow): CrawlResponse {
  return {
    ...toCrawlSummaryResponse(row),
    companyInfo: row.companyInfo,
    generatedQuestions: row.generatedQuestions,
    testResults: row.testResults.map(toTestResultResponse),
  };
}

export function toCrawlStatsResponse(stats: CrawlStats): CrawlStatsResponse {
  const total = Object.values(stats.byStatus).reduce((a, b) => a + b, 0);
  return { total, byStatus: stats.byStatus, averageSeoScore: stats.averageSeoScore };
}
