import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { Connection, Model, mongo, trusted } from 'mongoose';
import { VersionCondition } from '../../common/http/etag';
import { Clock } from '../../common/clock/clock';
import { CursorPosition } from '../../common/pagination/pagination';
import {
  CrawlChanges,
  CrawlFilters,
  CrawlRow,
  CrawlStats,
  CrawlStatus,
  CrawlSummaryRow,
  emptyStatusCounts,
  NewCrawl,
  searchWords,
  TestResult,
} from '../crawl-row';
import { CrawlReadOptions, CrawlRepository, CrawlStoreBackup } from '../crawl.repository';
import {
  CRAWL_COLLECTION,
  CRAWL_MODEL,
  WebsiteCrawlDocument,
  WebsiteCrawlSchema,
} from './website-crawl.schema';

type Doc = Partial<WebsiteCrawlDocument> & Pick<WebsiteCrawlDocument, '_id'>;

const { EJSON } = mongo.BSON;
/** Canonical Extended JSON: int32, double and int64 stay apart, dates keep their milliseconds. */
const CANONICAL = { relaxed: false } as const;
/** Ids per deleteMany of a restore's undo (keeps each `$in` small). */
const UNDO_BATCH = 1_000;

/** What a list leaves out: a real projection, the server never sends these fields. */
const LIST_PROJECTION = { company_info: 0, generated_questions: 0, test_results: 0 } as const;

const FIELD: Record<keyof CrawlChanges, keyof WebsiteCrawlDocument> = {
  crawlStatus: 'crawl_status',
  companyName: 'company_name',
  pageTitle: 'page_title',
  metaDescription: 'meta_description',
  companyInfo: 'company_info',
  generatedQuestions: 'generated_questions',
  seoScore: 'seo_score',
  errorMessage: 'error_message',
  crawledAt: 'crawled_at',
};

const storeTestResult = (r: TestResult) => ({
  question: r.question,
  answer: r.answer ?? null,
  passed: r.passed,
  score: r.score ?? null,
  tested_at: r.testedAt,
});

/** The If-Match condition as a filter: `{ version: { $in } }` in the same operation as the write. */
function versionFilter(expected: VersionCondition): Record<string, unknown> {
  return expected === undefined ? {} : { version: trusted({ $in: [...expected] }) };
}

/**
 * A stored document as a row. The heavy fields are mapped only when the server sent them, so
 * what a projection left out stays out (and a store that ignored the projection shows).
 */
function fromDocument(doc: Doc): CrawlRow {
  const row: Partial<CrawlRow> = {
    id: doc._id,
    entityId: doc.entity_id,
    websiteUrl: doc.website_url,
    domain: doc.domain,
    companyName: doc.company_name ?? null,
    pageTitle: doc.page_title ?? null,
    metaDescription: doc.meta_description ?? null,
    crawlStatus: doc.crawl_status,
    errorMessage: doc.error_message ?? null,
    seoScore: doc.seo_score ?? null,
    createdBy: doc.created_by,
    crawledAt: doc.crawled_at ?? null,
    version: doc.version ?? 1,
    createdAt: doc.created_at,
    updatedAt: doc.updated_at,
  };
  if ('company_info' in doc) row.companyInfo = doc.company_info ?? null;
  if ('generated_questions' in doc) row.generatedQuestions = doc.generated_questions ?? null;
  if ('test_results' in doc)
    row.testResults = (doc.test_results ?? []).map((r) => ({
      question: r.question,
      answer: r.answer ?? null,
      passed: r.passed,
      score: r.score ?? null,
      testedAt: r.tested_at,
    }));
  return row as CrawlRow;
}

/**
 * The crawl store on MongoDB (Mongoose, collection website_crawl_data): the production store
 * when MONGO_URL is set. Loaded only then (CrawlModule), so deployments without MongoDB never
 * load mongoose. Filters are built here from validated values; the connection has
 * `sanitizeFilter` on, so the operators this class writes itself are marked `trusted()` and
 * anything else shaped like an operator is neutralised as a literal (`$eq`).
 */
@Injectable()
export class MongoCrawlRepository extends CrawlRepository {
  readonly store = 'mongo' as const;
  readonly model: Model<WebsiteCrawlDocument>;

  constructor(
    @Inject(getConnectionToken()) private readonly connection: Connection,
    private readonly clock: Clock,
  ) {
    super();
    this.model =
      (connection.models[CRAWL_MODEL] as Model<WebsiteCrawlDocument> | undefined) ??
      connection.model<WebsiteCrawlDocument>(CRAWL_MODEL, WebsiteCrawlSchema);
  }

  /** The schema's indexes (unique URL per entity, keyset, status, text); awaited at start. */
  async createIndexes(): Promise<void> {
    await this.model.createIndexes();
    // Documents stored before versions existed start at 1 (as the SQL migration does for rows).
    await this.model
      .updateMany({ version: trusted({ $exists: false }) }, { $set: { version: 1 } })
      .exec();
  }

  async insertCrawl(entityId: string, values: NewCrawl): Promise<CrawlRow | null> {
    const now = this.clock.now();
    const doc: WebsiteCrawlDocument = {
      _id: randomUUID(),
      entity_id: entityId,
      website_url: values.websiteUrl,
      domain: values.domain,
      company_name: values.companyName,
      page_title: null,
      meta_description: null,
      crawl_status: 'pending',
      error_message: null,
      company_info: null,
      generated_questions: null,
      test_results: [],
      seo_score: null,
      created_by: values.createdBy,
      crawled_at: null,
      version: 1,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.model.create(doc);
    } catch (error) {
      if ((error as { code?: unknown }).code === 11000) return null;
      throw error;
    }
    return fromDocument(doc);
  }

  async findById(
    entityId: string,
    id: string,
    options?: CrawlReadOptions,
  ): Promise<CrawlRow | null> {
    const query = this.model.findOne({ _id: id, entity_id: entityId });
    if (options?.primary) query.read('primary');
    const doc = await query.lean<Doc>().exec();
    return doc ? fromDocument(doc) : null;
  }

  async findByUrl(
    entityId: string,
    websiteUrl: string,
    options?: CrawlReadOptions,
  ): Promise<CrawlRow | null> {
    const query = this.model.findOne({ entity_id: entityId, website_url: websiteUrl });
    if (options?.primary) query.read('primary');
    const doc = await query.lean<Doc>().exec();
    return doc ? fromDocument(doc) : null;
  }

  async findPage(
    entityId: string,
    filters: CrawlFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<CrawlSummaryRow[]> {
    const filter: Record<string, unknown> = { entity_id: entityId };
    if (filters.status) filter.crawl_status = filters.status;
    if (filters.minScore !== undefined || filters.maxScore !== undefined) {
      filter.seo_score = trusted({
        ...(filters.minScore !== undefined ? { $gte: filters.minScore } : {}),
        ...(filters.maxScore !== undefined ? { $lte: filters.maxScore } : {}),
      });
    }
    if (filters.search) {
      const words = searchWords(filters.search);
      if (words.length === 0) return [];
      // Any of the words (MongoDB's $text ORs the terms), as on the other stores.
      filter.$text = trusted({ $search: words.join(' '), $language: 'none' });
    }
    if (cursor) {
      filter.$or = [
        { created_at: trusted({ $lt: cursor.createdAt }) },
        { created_at: cursor.createdAt, _id: trusted({ $lt: cursor.id }) },
      ];
    }
    const docs = await this.model
      .find(filter, LIST_PROJECTION)
      .sort({ created_at: -1, _id: -1 })
      .limit(limit + 1)
      .lean<Doc[]>()
      .exec();
    return docs.map(fromDocument);
  }

  async updateCrawl(
    entityId: string,
    id: string,
    changes: CrawlChanges,
    whileStatus?: CrawlStatus,
    expected?: VersionCondition,
  ): Promise<boolean> {
    const $set: Record<string, unknown> = { updated_at: this.clock.now() };
    for (const [key, value] of Object.entries(changes)) {
      if (value !== undefined) $set[FIELD[key as keyof CrawlChanges]] = value;
    }
    const result = await this.model
      .updateOne(
        {
          _id: id,
          entity_id: entityId,
          ...(whileStatus ? { crawl_status: whileStatus } : {}),
          ...versionFilter(expected),
        },
        { $set, $inc: { version: 1 } },
        { runValidators: true },
      )
      .exec();
    return result.matchedCount > 0;
  }

  /** One update: `$push` with `$each` and `$slice: -keep` (atomic on the document). */
  async appendTestResults(
    entityId: string,
    id: string,
    results: TestResult[],
    keep: number,
  ): Promise<boolean> {
    const result = await this.model
      .updateOne(
        { _id: id, entity_id: entityId },
        {
          $push: { test_results: { $each: results.map(storeTestResult), $slice: -keep } },
          $set: { updated_at: this.clock.now() },
          $inc: { version: 1 },
        },
        { runValidators: true },
      )
      .exec();
    return result.matchedCount > 0;
  }

  async deleteCrawl(entityId: string, id: string, expected?: VersionCondition): Promise<boolean> {
    const result = await this.model
      .deleteOne({ _id: id, entity_id: entityId, ...versionFilter(expected) })
      .exec();
    return result.deletedCount > 0;
  }

  /** One aggregation: counts by status and `$avg` of the scores, side by side in a `$facet`. */
  async stats(entityId: string): Promise<CrawlStats> {
    const [result] = await this.model
      .aggregate<{
        byStatus: Array<{ _id: CrawlStatus; n: number }>;
        score: Array<{ avg: number | null }>;
      }>([
        { $match: { entity_id: entityId } },
        {
          $facet: {
            byStatus: [{ $group: { _id: '$crawl_status', n: { $sum: 1 } } }],
            score: [{ $group: { _id: null, avg: { $avg: '$seo_score' } } }],
          },
        },
      ])
      .exec();
    const byStatus = emptyStatusCounts();
    for (const { _id, n } of result?.byStatus ?? []) byStatus[_id] = n;
    const avg = result?.score[0]?.avg;
    return { byStatus, averageSeoScore: typeof avg === 'number' ? avg : null };
  }

  /** An exact count over the whole collection (countDocuments; the admin stats cache it for 60 s). */
  async countAll(): Promise<number> {
    return this.model.countDocuments({}).exec();
  }

  /**
   * Backup and restore on the driver's collection, past Mongoose: documents are read with
   * `promoteValues: false` and written as decoded, so what was stored comes back unchanged
   * (no schema casting, no defaults). Filters here are literal (`{}`, `_id: {$in}` of ids).
   */
  storeBackup(): CrawlStoreBackup {
    // Documents as stored: whatever type their _id has.
    const collection = this.connection.db!.collection<{ _id: unknown }>(CRAWL_COLLECTION);
    return {
      collection: CRAWL_COLLECTION,
      count: () => collection.countDocuments({}),
      async *streamAll(batch: number) {
        const cursor = collection.find(
          {},
          { sort: { _id: 1 }, batchSize: batch, promoteValues: false },
        );
        try {
          let texts: string[] = [];
          // The driver fetches the next batch (getMore) only when this loop asks for it.
          for await (const doc of cursor) {
            texts.push(EJSON.stringify(doc, CANONICAL));
            if (texts.length === batch) {
              yield texts;
              texts = [];
            }
          }
          if (texts.length > 0) yield texts;
        } finally {
          await cursor.close();
        }
      },
      decode(value: unknown) {
        if (!value || typeof value !== 'object' || Array.isArray(value) || !('_id' in value)) {
          throw new Error('not a document with an _id');
        }
        return EJSON.deserialize(value as mongo.BSON.Document, CANONICAL) as { _id: unknown };
      },
      async restoreMany(documents: { _id: unknown }[]) {
        if (documents.length > 0) await collection.insertMany(documents, { ordered: true });
      },
      async deleteIds(ids: unknown[]) {
        for (let i = 0; i < ids.length; i += UNDO_BATCH) {
          await collection.deleteMany({ _id: { $in: ids.slice(i, i + UNDO_BATCH) as never[] } });
        }
      },
      async deleteAll() {
        await collection.deleteMany({});
      },
    };
  }
}
