import { Schema } from 'mongoose';
import { CRAWL_LIMITS, CRAWL_STATUSES } from '../crawl-row';
import { findUnsafeKey } from '../safe-document';

/** Collection of the crawl documents (the seed's name). */
export const CRAWL_COLLECTION = 'website_crawl_data';
export const CRAWL_MODEL = 'WebsiteCrawlData';

/** A document as stored: snake_case fields like the seed, `_id` the same UUID the API shows. */
export interface WebsiteCrawlDocument {
  _id: string;
  entity_id: string;
  website_url: string;
  domain: string;
  company_name: string | null;
  page_title: string | null;
  meta_description: string | null;
  crawl_status: (typeof CRAWL_STATUSES)[number];
  error_message: string | null;
  company_info?: Record<string, unknown> | null;
  generated_questions?: Record<string, unknown> | null;
  test_results?: Array<{
    question: string;
    answer: string | null;
    passed: boolean;
    score: number | null;
    tested_at: Date;
  }>;
  seo_score: number | null;
  created_by: string;
  crawled_at: Date | null;
  /** Bumped ($inc) by every update: the ETag's source. */
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** The second line behind the DTOs: a free-form object with a `$…` or dotted key never gets stored. */
const safeObject = {
  validator: (value: unknown) =>
    value === null || value === undefined || findUnsafeKey(value) === null,
  message: 'must be an object without keys that start with $ or contain a dot',
};

const nullableString = (maxlength: number) => ({ type: String, default: null, maxlength });

const TestResultSchema = new Schema(
  {
    question: { type: String, required: true, maxlength: CRAWL_LIMITS.question },
    answer: nullableString(CRAWL_LIMITS.answer),
    passed: { type: Boolean, required: true },
    score: { type: Number, default: null, min: 0, max: 1 },
    tested_at: { type: Date, required: true },
  },
  { _id: false, strict: 'throw', versionKey: false },
);

/**
 * Strict (unknown fields throw, in writes and in filters), no version key, empty objects kept
 * (`minimize: false`: `{}` is not "absent"). Indexes, created at start by the crawl module:
 * unique (entity_id, website_url); (entity_id, created_at desc, _id desc) for the keyset lists;
 * (entity_id, crawl_status, created_at desc, _id desc) for the status filter and the stats;
 * a text index on company_name, page_title and meta_description behind an equality prefix on
 * entity_id (so a search only ever reads one tenant's entries), language `none` like
 * PostgreSQL's `simple` configuration.
 */
export const WebsiteCrawlSchema = new Schema<WebsiteCrawlDocument>(
  {
    _id: { type: String, required: true },
    entity_id: { type: String, required: true },
    website_url: { type: String, required: true, maxlength: CRAWL_LIMITS.urlLength },
    domain: { type: String, required: true, maxlength: 255 },
    company_name: nullableString(CRAWL_LIMITS.companyName),
    page_title: nullableString(CRAWL_LIMITS.pageTitle),
    meta_description: nullableString(CRAWL_LIMITS.metaDescription),
    crawl_status: { type: String, enum: CRAWL_STATUSES, required: true },
    error_message: nullableString(CRAWL_LIMITS.errorMessage),
    company_info: { type: Schema.Types.Mixed, default: null, validate: safeObject },
    generated_questions: { type: Schema.Types.Mixed, default: null, validate: safeObject },
    test_results: { type: [TestResultSchema], default: [] },
    seo_score: { type: Number, default: null, min: 0, max: 1 },
    created_by: { type: String, required: true },
    crawled_at: { type: Date, default: null },
    version: { type: Number, required: true, default: 1 },
    created_at: { type: Date, required: true },
    updated_at: { type: Date, required: true },
  },
  {
    collection: CRAWL_COLLECTION,
    strict: 'throw',
    strictQuery: 'throw',
    versionKey: false,
    minimize: false,
    id: false,
    autoIndex: false,
    autoCreate: false,
  },
);

WebsiteCrawlSchema.index(
  { entity_id: 1, website_url: 1 },
  { unique: true, name: 'uq_crawl_entity_url' },
);
WebsiteCrawlSchema.index(
  { entity_id: 1, created_at: -1, _id: -1 },
  { name: 'ix_crawl_entity_created' },
);
WebsiteCrawlSchema.index(
  { entity_id: 1, crawl_status: 1, created_at: -1, _id: -1 },
  { name: 'ix_crawl_entity_status_created' },
);
WebsiteCrawlSchema.index(
  { entity_id: 1, company_name: 'text', page_title: 'text', meta_description: 'text' },
  { name: 'tx_crawl_search', default_language: 'none' },
);
