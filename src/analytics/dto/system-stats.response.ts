import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';

export class ActiveTotalCountsResponse {
  total: number;
  /** is_active: users who may sign in / entities not deleted. */
  active: number;
}

export class LeadCountsResponse {
  total: number;
  PENDING: number;
  REACHED_OUT: number;
}

export class TaskCountsResponse {
  total: number;
  pending: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/** Rows of the whole platform (every entity, every user). */
export class SystemCountsResponse {
  users: ActiveTotalCountsResponse;
  /** Organisations; deleted ones (soft) are in `total`, not in `active`. */
  entities: ActiveTotalCountsResponse;
  /** Leads by status (leads of deleted entities included). */
  leads: LeadCountsResponse;
  /** Tasks by status. */
  tasks: TaskCountsResponse;
  /** Website crawl documents, in whichever store holds them (MongoDB or the relational table). */
  crawls: number;
  /** Data analyses created in the 7 days before `generatedAt`. */
  analysesLast7Days: number;
}

export class TableStatsResponse {
  /** Rows: exact on SQLite (COUNT), an estimate on PostgreSQL (statistics, never a scan). */
  rows: number;
  /** Whether `rows` is an exact count. */
  exact: boolean;
  /** Bytes of the table with its indexes (and TOAST on PostgreSQL); a partitioned table: its partitions'. */
  sizeBytes: number;
}

/** The primary's connection pool when the stats were gathered. */
export class PoolStatsResponse {
  /** The pool's maximum size (SQLite: 1, its single connection). */
  max: number;
  /** Connections open (SQLite: 1). */
  total: number;
  /** Connections checked out by a query; null when unknown (SQLite). */
  inUse: number | null;
  /** Open connections waiting for a query; null when unknown (SQLite). */
  idle: number | null;
  /** Queries waiting for a connection; null when unknown (SQLite). */
  waiting: number | null;
}

@ApiExtraModels(TableStatsResponse)
export class DatabaseStatsResponse {
  @ApiProperty({ enum: ['postgres', 'sqlite'] })
  driver: 'postgres' | 'sqlite';
  /** Bytes of the database: pg_database_size, or SQLite's page_count × page_size. */
  sizeBytes: number;
  /**
   * Every table of the app's schema by name, TypeORM's `migrations` included; PostgreSQL's
   * partitions of system_logs are summed into `system_logs`.
   */
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(TableStatsResponse) },
    example: { users: { rows: 2, exact: true, sizeBytes: 8192 } },
  })
  tables: Record<string, TableStatsResponse>;
  pool: PoolStatsResponse;
}

/** Lookups counted in this process since it started (per process, not across instances). */
export class CacheStatsResponse {
  @ApiProperty({ enum: ['memory', 'memory+redis'] })
  store: 'memory' | 'memory+redis';
  /** Whether Redis answered a PING; null when no Redis is configured (memory only). */
  redisUp: boolean | null;
  hits: number;
  misses: number;
  /** hits / (hits + misses), 0–1; null before the first lookup. */
  hitRatio: number | null;
}

/** GET /v1/admin/stats: gathered at most once per 60 s (cache key `system_stats`). */
export class SystemStatsResponse {
  /** When these numbers were gathered; the same answer is served for 60 s after. */
  @ApiProperty({ type: String, format: 'date-time' })
  generatedAt: string;
  counts: SystemCountsResponse;
  database: DatabaseStatsResponse;
  cache: CacheStatsResponse;
}
