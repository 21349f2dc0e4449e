import { VersionCondition } from '../common/http/etag';
import { CursorPosition } from '../common/pagination/pagination';
import {
  CrawlChanges,
  CrawlFilters,
  CrawlRow,
  CrawlStats,
  CrawlStatus,
  CrawlSummaryRow,
  NewCrawl,
  TestResult,
} from './crawl-row';

/**
 * Backup and restore of a crawl store that lives outside the relational database (MongoDB),
 * for the backup module through CrawlService.storeBackup(). Documents travel as MongoDB
 * Extended JSON in canonical mode, so every BSON type (string ids, dates, int32 vs double,
 * nested arrays) comes back exactly as it was stored.
 */
export interface CrawlStoreBackup {
  /** The collection, as named in the backup file. */
  readonly collection: string;
  count(): Promise<number>;
  /**
   * Every document by _id, as its Extended JSON text, `batch` at a time from one cursor that
   * fetches the next batch only when the caller asks for it (constant memory).
   */
  streamAll(batch: number): AsyncGenerator<string[]>;
  /** One document of the file (its parsed Extended JSON) as the store will write it; throws if it is none. */
  decode(value: unknown): { _id: unknown };
  /** One ordered bulk insert, written as decoded (no schema casting: a restore is byte for byte). */
  restoreMany(documents: { _id: unknown }[]): Promise<void>;
  /** Undo of a failed restore: deletes these documents (by _id). */
  deleteIds(ids: unknown[]): Promise<void>;
  deleteAll(): Promise<void>;
}

/** Reads that decide a write, read one back or feed the cache go to the primary. */
export interface CrawlReadOptions {
  primary?: boolean;
}

/**
 * The crawl store, as the service sees it: the injection token, with one adapter per store
 * chosen once at start (CrawlModule): MongoCrawlRepository when MONGO_URL is set,
 * SqlCrawlRepository otherwise. Every method takes the entity id first, so no call can reach
 * another tenant's documents. test/crawl/crawl-repository.contract.db-spec.ts runs the same
 * cases against every adapter; what one adapter does, all do.
 */
export abstract class CrawlRepository {
  /** Which store this is (logs and tests). */
  abstract readonly store: 'sql' | 'mongo';

  /** A new pending document; null when the entity already has this (normalised) URL. The unique index decides. */
  abstract insertCrawl(entityId: string, values: NewCrawl): Promise<CrawlRow | null>;

  abstract findById(
    entityId: string,
    id: string,
    options?: CrawlReadOptions,
  ): Promise<CrawlRow | null>;

  abstract findByUrl(
    entityId: string,
    websiteUrl: string,
    options?: CrawlReadOptions,
  ): Promise<CrawlRow | null>;

  /**
   * One keyset page (limit+1 rows, newest first: created_at desc, id desc). Rows carry no
   * company_info, generated_questions or test_results: the store does not even read them.
   */
  abstract findPage(
    entityId: string,
    filters: CrawlFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<CrawlSummaryRow[]>;

  /**
   * Applies the changes (and updated_at) in one statement; when `whileStatus` is given, only
   * if the status still is that (a concurrent transition makes it match nothing). False when
   * nothing matched.
   */
  abstract updateCrawl(
    entityId: string,
    id: string,
    changes: CrawlChanges,
    whileStatus?: CrawlStatus,
    expected?: VersionCondition,
  ): Promise<boolean>;

  /** Appends atomically and keeps the newest `keep`; false when there is no such document. */
  abstract appendTestResults(
    entityId: string,
    id: string,
    results: TestResult[],
    keep: number,
  ): Promise<boolean>;

  /** Every write bumps the document's `version`; `expected` (If-Match) makes this one conditional on it. */
  abstract deleteCrawl(entityId: string, id: string, expected?: VersionCondition): Promise<boolean>;

  /** Counts by status and the average seo score, in one query. */
  abstract stats(entityId: string): Promise<CrawlStats>;

  /**
   * Documents of every entity: the one method without an entity id, for the platform admins'
   * stats (GET /v1/admin/stats). A count only; it never returns a document.
   */
  abstract countAll(): Promise<number>;

  /**
   * The store's own backup when its documents live outside the relational database (Mongo).
   * Null on the SQL adapter: its rows are the table website_crawl_data, which the relational
   * backup already carries in its snapshot — one path, never backed up twice.
   */
  abstract storeBackup(): CrawlStoreBackup | null;
}
