import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { LEAD_STATUSES, LeadStatus } from '../leads/lead.entity';
import { queryRows } from '../database/raw-sql';
import { SqlRepository } from '../database/sql-repository';
import { TASK_STATUSES, TaskStatus } from '../tasks/task.entity';

export interface PlatformCounts {
  users: { total: number; active: number };
  entities: { total: number; active: number };
  leads: Record<LeadStatus, number>;
  tasks: Record<TaskStatus, number>;
  analysesSince: number;
}

export interface TableEstimate {
  rows: number;
  /** COUNT(*) (SQLite) rather than the planner's / statistics' estimate (PostgreSQL). */
  exact: boolean;
  /** Table, indexes and TOAST (PostgreSQL) / the table's and its indexes' pages (SQLite). */
  sizeBytes: number;
}

export interface PoolStats {
  max: number;
  total: number;
  inUse: number | null;
  idle: number | null;
  waiting: number | null;
}

/** What the pg driver's Pool exposes (TypeORM's PostgresDriver keeps the primary's as `master`). */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The platform admins' stats (GET /v1/admin/stats): read-only aggregates over the tables of
 * several modules (users, entities, leads, tasks) and the catalog. This is the one exception to
 * "no module reads another module's tables": none of those modules offers a platform-wide count,
 * and adding four exported count methods for one cached admin screen would spread one question
 * over four services; these statements never write and never return a row of those tables.
 * Crawl documents are counted through CrawlService (they may live in MongoDB).
 * Every read goes to the primary: the result feeds a cache.
 */
@Injectable()
export class SystemStatsRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  /** One statement (one snapshot on PostgreSQL): users, entities, leads and tasks by status, analyses since `since`. */
  async counts(since: Date): Promise<PlatformCounts> {
    const rows = await this.on({ primary: true }, (m) =>
      queryRows<{ kind: string; status: string | null; n: unknown; active: unknown }>(
        m,
        `SELECT 'users' AS kind, CAST(NULL AS varchar) AS status, COUNT(*) AS n,
                SUM(CASE WHEN is_active THEN 1 ELSE 0 END) AS active FROM users
         UNION ALL
         SELECT 'entities', CAST(NULL AS varchar), COUNT(*),
                SUM(CASE WHEN is_active THEN 1 ELSE 0 END) FROM entities
         UNION ALL
         SELECT 'leads', CAST(status AS varchar), COUNT(*), NULL FROM leads GROUP BY status
         UNION ALL
         SELECT 'tasks', CAST(status AS varchar), COUNT(*), NULL FROM tasks GROUP BY status
         UNION ALL
         SELECT 'analyses', CAST(NULL AS varchar), COUNT(*), NULL FROM data_analyses
         WHERE created_at >= :since`,
        { since },
      ),
    );
    const counts: PlatformCounts = {
      users: { total: 0, active: 0 },
      entities: { total: 0, active: 0 },
      leads: Object.fromEntries(LEAD_STATUSES.map((s) => [s, 0])) as Record<LeadStatus, number>,
      tasks: Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>,
      analysesSince: 0,
    };
    for (const row of rows) {
      const n = Number(row.n ?? 0);
      if (row.kind === 'users' || row.kind === 'entities') {
        counts[row.kind] = { total: n, active: Number(row.active ?? 0) };
      } else if (row.kind === 'leads' && row.status !== null) {
        counts.leads[row.status as LeadStatus] = n;
      } else if (row.kind === 'tasks' && row.status !== null) {
        counts.tasks[row.status as TaskStatus] = n;
      } else if (row.kind === 'analyses') {
        counts.analysesSince = n;
      }
    }
    return counts;
  }

  /** Bytes of the whole database: pg_database_size, or SQLite's page_count × page_size. */
  async databaseSize(): Promise<number> {
    const sql = this.postgres
      ? 'SELECT pg_database_size(current_database()) AS bytes'
      : 'SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()';
    const [row] = await this.on({ primary: true }, (m) => queryRows<{ bytes: unknown }>(m, sql));
    return Number(row?.bytes ?? 0);
  }

  /**
   * Rows and bytes of every table of the app's schema, TypeORM's `migrations` table included.
   * - PostgreSQL (estimates, no table is scanned): `pg_stat_user_tables.n_live_tup`, kept up to
   *   date by every write (visible within about a second), or `pg_class.reltuples` (the last
   *   VACUUM/ANALYZE) when the statistics read 0, e.g. after a statistics reset. A partitioned
   *   table (system_logs) has no rows of its own: it is reported once, with the sums over its
   *   leaf partitions (pg_partition_tree), and the partitions are not listed separately.
   * - SQLite: an exact COUNT(*) per table, since the embedded database is small (one statement
   *   per table), and sizes from the dbstat table (built into better-sqlite3).
   */
  async tables(): Promise<Record<string, TableEstimate>> {
    return this.postgres ? this.postgresTables() : this.sqliteTables();
  }

  /**
   * The connection pool of the primary. PostgreSQL: the pg Pool's counts (connections opened,
   * idle, requests waiting for one; replicas' pools are not included). SQLite: one connection,
   * whether it is busy at this instant is unknown (null).
   */
  pool(configuredMax: number): PoolStats {
    if (!this.postgres) return { max: 1, total: 1, inUse: null, idle: null, waiting: null };
    const pool = (this.dataSource.driver as unknown as { master?: PgPool }).master;
    if (!pool) return { max: configuredMax, total: 0, inUse: null, idle: null, waiting: null };
    return {
      max: pool.options?.max ?? configuredMax,
      total: pool.totalCount,
      inUse: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    };
  }

  private async postgresTables(): Promise<Record<string, TableEstimate>> {
    const rows = await this.on({ primary: true }, (m) =>
      queryRows<{ name: string; rows: unknown; bytes: unknown }>(
        m,
        `WITH tables AS (
           SELECT c.oid, c.relname, c.relkind FROM pg_class c
           WHERE c.relnamespace = current_schema()::regnamespace
             AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         ), leaves AS (
           SELECT t.relname, t.oid AS leaf FROM tables t WHERE t.relkind = 'r'
           UNION ALL
           SELECT t.relname, p.relid FROM tables t, pg_partition_tree(t.oid) p
           WHERE t.relkind = 'p' AND p.isleaf
         )
         SELECT t.relname AS name,
                COALESCE(SUM(CASE WHEN s.n_live_tup > 0 THEN s.n_live_tup
                                  ELSE GREATEST(c.reltuples, 0) END), 0) AS rows,
                COALESCE(SUM(pg_total_relation_size(l.leaf)), 0) AS bytes
         FROM tables t
         LEFT JOIN leaves l ON l.relname = t.relname
         LEFT JOIN pg_class c ON c.oid = l.leaf
         LEFT JOIN pg_stat_user_tables s ON s.relid = l.leaf
         GROUP BY t.relname ORDER BY t.relname`,
      ),
    );
    return Object.fromEntries(
      rows.map((r) => [
        r.name,
        { rows: Math.round(Number(r.rows)), exact: false, sizeBytes: Number(r.bytes) },
      ]),
    );
  }

  private async sqliteTables(): Promise<Record<string, TableEstimate>> {
    return this.on({ primary: true }, async (m) => {
      const names = await queryRows<{ name: string }>(
        m,
        `SELECT name FROM sqlite_master
         WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
      );
      const sizes = new Map(
        (
          await queryRows<{ name: string; bytes: unknown }>(
            m,
            `SELECT s.tbl_name AS name, SUM(d.pgsize) AS bytes
             FROM dbstat d JOIN sqlite_master s ON s.name = d.name GROUP BY s.tbl_name`,
          )
        ).map((r) => [r.name, Number(r.bytes)]),
      );
      const tables: Record<string, TableEstimate> = {};
      for (const { name } of names) {
        const [row] = await queryRows<{ n: unknown }>(
          m,
          `SELECT COUNT(*) AS n FROM ${quoteIdent(name)}`,
        );
        tables[name] = { rows: Number(row?.n ?? 0), exact: true, sizeBytes: sizes.get(name) ?? 0 };
      }
      return tables;
    });
  }
}
