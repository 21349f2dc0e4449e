/**
 * The shapes every crawl store speaks (the CrawlRepository port): rows as plain objects in
 * camelCase, whatever the adapter keeps underneath (snake_case SQL columns or Mongo fields).
 */

export const CRAWL_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const;
export type CrawlStatus = (typeof CRAWL_STATUSES)[number];

/** Limits of the document (validated before any store sees a value). */
export const CRAWL_LIMITS = {
  /** website_url after normalisation. */
  urlLength: 2048,
  /** company_info and generated_questions, each, as UTF-8 JSON. */
  objectBytes: 256 * 1024,
  /** Nesting of company_info / generated_questions. */
  objectDepth: 16,
  /** Test results kept per document: the newest ones win. */
  testResultsKept: 1000,
  /** Test results accepted per call. */
  testResultsPerCall: 100,
  companyName: 255,
  pageTitle: 500,
  metaDescription: 2000,
  errorMessage: 2000,
  question: 1000,
  answer: 4000,
  /** `q` of the list. */
  search: 200,
} as const;

export interface TestResult {
  question: string;
  answer?: string | null;
  passed: boolean;
  score?: number | null;
  testedAt: Date;
}

/** A JSON object as the client sent it (checked for operator keys and size). */
export type JsonObject = Record<string, unknown>;

/** What a list shows: everything but the three heavy fields. */
export interface CrawlSummaryRow {
  id: string;
  entityId: string;
  websiteUrl: string;
  domain: string;
  companyName: string | null;
  pageTitle: string | null;
  metaDescription: string | null;
  crawlStatus: CrawlStatus;
  errorMessage: string | null;
  seoScore: number | null;
  createdBy: string;
  crawledAt: Date | null;
  /** Bumped by every write (the ETag's source). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The full document. */
export interface CrawlRow extends CrawlSummaryRow {
  companyInfo: JsonObject | null;
  generatedQuestions: JsonObject | null;
  testResults: TestResult[];
}

export type NewCrawl = Pick<CrawlRow, 'websiteUrl' | 'domain' | 'companyName' | 'createdBy'>;

/** Field changes of a PATCH (status handled by the service's transition rule). */
export type CrawlChanges = Partial<
  Pick<
    CrawlRow,
    | 'crawlStatus'
    | 'companyName'
    | 'pageTitle'
    | 'metaDescription'
    | 'companyInfo'
    | 'generatedQuestions'
    | 'seoScore'
    | 'errorMessage'
    | 'crawledAt'
  >
>;

export interface CrawlFilters {
  status?: CrawlStatus;
  /** Words; a document matches when any of them is in its company name, page title or meta description. */
  search?: string;
  minScore?: number;
  maxScore?: number;
}

export interface CrawlStats {
  byStatus: Record<CrawlStatus, number>;
  /** Average of the non-null seo scores; null when none is scored. */
  averageSeoScore: number | null;
}

export function emptyStatusCounts(): Record<CrawlStatus, number> {
  return Object.fromEntries(CRAWL_STATUSES.map((s) => [s, 0])) as Record<CrawlStatus, number>;
}

/** The search text as words: what every adapter matches (any of them). */
export function searchWords(search: string): string[] {
  return search
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 10);
}
