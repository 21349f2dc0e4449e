import { Column, ColumnOptions, Entity, Index, JoinColumn, ManyToOne, Unique } from 'typeorm';
import { VersionedEntity } from '../database/base.entity';
import {
  isPostgresSchema,
  jsonColumn,
  timestampColumn,
  uuidColumn,
} from '../database/column-types';
import { OrgEntity } from '../entities/org.entity';
import type { CrawlStatus, JsonObject, TestResult } from './crawl-row';

/**
 * The words a text search matches, as one generated tsvector (PostgreSQL only: `simple`
 * configuration, so brand names are neither stemmed nor dropped as stop words — MongoDB's text
 * index uses language `none` for the same reason). SQLite has no such column and searches with
 * LIKE. Declared here so the generated migrations and `migration:check` know it.
 */
export const SEARCH_VECTOR_SQL = `to_tsvector('simple'::regconfig, coalesce("company_name", '') || ' ' || coalesce("page_title", '') || ' ' || coalesce("meta_description", ''))`;

const searchVectorColumn: ColumnOptions = {
  type: 'tsvector',
  generatedType: 'STORED',
  asExpression: SEARCH_VECTOR_SQL,
  select: false,
  insert: false,
  update: false,
  nullable: true,
};

/** Decorates on PostgreSQL only (column types are chosen when entity files load). */
const postgresOnly =
  (decorator: PropertyDecorator): PropertyDecorator =>
  (target, key) => {
    if (isPostgresSchema) decorator(target, key);
  };

/**
 * Website crawl data of an entity (table `website_crawl_data`): the relational adapter of the
 * crawl store (SqlCrawlRepository); MongoCrawlRepository keeps the same document in the
 * collection of the same name when MONGO_URL is set.
 *
 * Indexes: unique (entity_id, website_url) — per organisation, the multi-tenant form of the
 * seed's global unique URL; (entity_id, created_at, id) for newest-first keyset lists;
 * (entity_id, crawl_status, created_at, id) for the status filter and the stats GROUP BY. On
 * PostgreSQL the migration adds a GIN index on `search_vector` (declared with
 * `synchronize: false`: TypeORM cannot describe a GIN index).
 */
@Entity('website_crawl_data')
@Unique('uq_crawl_entity_url', ['entityId', 'websiteUrl'])
@Index('ix_crawl_entity_created', ['entityId', 'createdAt', 'id'])
@Index('ix_crawl_entity_status_created', ['entityId', 'crawlStatus', 'createdAt', 'id'])
@Index('ix_crawl_search', { synchronize: false })
export class WebsiteCrawl extends VersionedEntity {
  @Column(uuidColumn())
  entityId: string;

  @ManyToOne(() => OrgEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'entity_id', foreignKeyConstraintName: 'fk_crawl_entity' })
  entity?: OrgEntity;

  /** Normalised (see website-url.ts); unique in the entity. */
  @Column({ type: 'varchar', length: 2048 })
  websiteUrl: string;

  /** Derived from website_url, never client-supplied. */
  @Column({ type: 'varchar', length: 255 })
  domain: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  companyName: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  pageTitle: string | null;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  metaDescription: string | null;

  @Column({ type: 'varchar', length: 20, default: 'pending' })
  crawlStatus: CrawlStatus;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  errorMessage: string | null;

  /** ≤ 256 KB, no `$…` or dotted keys (checked before it gets here). */
  @Column(jsonColumn({ nullable: true }))
  companyInfo: JsonObject | null;

  @Column(jsonColumn({ nullable: true }))
  generatedQuestions: JsonObject | null;

  /** The newest 1,000 results, oldest first. */
  @Column(jsonColumn())
  testResults: TestResult[];

  /** 0–1. */
  @Column({ type: 'double precision', nullable: true })
  seoScore: number | null;

  /** The user who created it (may edit it without being an admin). */
  @Column(uuidColumn())
  createdBy: string;

  /** Set when the crawl completes. */
  @Column(timestampColumn({ nullable: true }))
  crawledAt: Date | null;

  @postgresOnly(Column(searchVectorColumn))
  searchVector?: string;
}
