import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';
import type { SystemLogLevel } from '../common/observability/system-event-log';
import { CursorPosition } from '../common/pagination/pagination';
import { tryAdvisoryLock } from '../database/advisory-lock';
import { applyKeyset } from '../database/keyset';
import { likeContains } from '../database/like';
import { execute, fromJson, queryRows, valueRows } from '../database/raw-sql';
import { toDate, SqlRepository } from '../database/sql-repository';
import { Tx, UnitOfWork } from '../database/unit-of-work';
import { SystemLog } from './system-log.entity';

export interface NewSystemLog {
  id: string;
  createdAt: Date;
  service: string;
  level: SystemLogLevel;
  message: string;
  details: Record<string, unknown> | null;
  requestId: string | null;
  userId: string | null;
}

export type SystemLogRow = NewSystemLog;

export interface SystemLogFilters {
  service?: string;
  level?: SystemLogLevel;
  from?: Date;
  to?: Date;
  q?: string;
}

/** A monthly partition of system_logs (PostgreSQL). */
export interface LogPartition {
  name: string;
  /** First instant of the month (inclusive). */
  from: Date;
  /** First instant of the next month (exclusive). */
  to: Date;
}

const COLUMNS =
  's.id, s.created_at AS "createdAt", s.service, s.level, s.message, s.details, s.request_id AS "requestId", s.user_id AS "userId"';

export function partitionName(monthStart: Date): string {
  return `system_logs_${monthStart.toISOString().slice(0, 7).replace('-', '_')}`;
}

export function monthStart(date: Date, plusMonths = 0): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + plusMonths, 1));
}

/** Every query on system_logs, including its partition upkeep on PostgreSQL. */
@Injectable()
export class SystemLogsRepository extends SqlRepository {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    clock: Clock,
    private readonly uow: UnitOfWork,
  ) {
    super(dataSource, clock);
  }

  /** One multi-row INSERT. */
  async insertMany(rows: NewSystemLog[]): Promise<void> {
    if (rows.length === 0) return;
    const values = valueRows(
      rows.map((row) => [
        row.id,
        row.createdAt,
        row.service,
        row.level,
        row.message,
        row.details === null ? null : JSON.stringify(row.details),
        row.requestId,
        row.userId,
      ]),
    );
    await this.on({ primary: true }, (m) =>
      execute(
        m,
        `INSERT INTO system_logs (id, created_at, service, level, message, details, request_id, user_id)
         VALUES ${values.sql}`,
        values.params,
      ),
    );
  }

  /** One page (limit+1 rows), newest first. */
  async findPage(
    filters: SystemLogFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<SystemLogRow[]> {
    const qb = this.dataSource
      .createQueryBuilder()
      .select(COLUMNS)
      .from(SystemLog, 's')
      .where('1 = 1');
    if (filters.service) qb.andWhere('s.service = :service', { service: filters.service });
    if (filters.level) qb.andWhere('s.level = :level', { level: filters.level });
    if (filters.from) qb.andWhere('s.created_at >= :from', { from: filters.from });
    if (filters.to) qb.andWhere('s.created_at <= :to', { to: filters.to });
    if (filters.q) {
      qb.andWhere(`lower(s.message) LIKE :q ESCAPE '\\'`, { q: likeContains(filters.q) });
    }
    applyKeyset(qb, 's', cursor, limit);
    const raws = await qb.getRawMany<Record<string, unknown>>();
    return raws.map((r) => ({
      id: String(r.id),
      createdAt: toDate(r.createdAt)!,
      service: String(r.service),
      level: r.level as SystemLogLevel,
      message: String(r.message),
      details: r.details === null || r.details === undefined ? null : fromJson(r.details),
      requestId: (r.requestId as string | null) ?? null,
      userId: (r.userId as string | null) ?? null,
    }));
  }

  /** The monthly partitions of system_logs, oldest first (PostgreSQL; none on SQLite). */
  async listPartitions(options: { tx?: Tx } = {}): Promise<LogPartition[]> {
    if (!this.postgres) return [];
    const rows = await this.on({ primary: true, ...options }, (m) =>
      queryRows<{ name: string; bound: string }>(
        m,
        `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'system_logs'::regclass ORDER BY c.relname`,
      ),
    );
    const partitions: LogPartition[] = [];
    for (const row of rows) {
      const m = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(row.bound);
      if (m) partitions.push({ name: row.name, from: new Date(m[1]), to: new Date(m[2]) });
    }
    return partitions.sort((a, b) => a.from.getTime() - b.from.getTime());
  }

  /**
   * Makes sure the partitions of `months` (first instants of months) exist, one instance at a
   * time (advisory lock `lockName`; false when another holds it). Rows of such a month that
   * sit in the default partition are moved into the new one in the same unit.
   */
  async ensurePartitions(months: Date[], lockName: string): Promise<string[] | false> {
    if (!this.postgres) return [];
    return this.uow.run(async (tx) => {
      if (!(await tryAdvisoryLock(tx, lockName))) return false;
      const existing = new Set((await this.listPartitions({ tx })).map((p) => p.name));
      const created: string[] = [];
      for (const from of months) {
        const name = partitionName(from);
        if (existing.has(name)) continue;
        const to = monthStart(from, 1);
        const bounds = { from: from.toISOString(), to: to.toISOString() };
        await execute(
          tx.manager,
          `CREATE TABLE "${name}" (LIKE system_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
        );
        await execute(
          tx.manager,
          `WITH moved AS (DELETE FROM system_logs_default WHERE created_at >= :from AND created_at < :to RETURNING *)
           INSERT INTO "${name}" SELECT * FROM moved`,
          bounds,
        );
        await execute(
          tx.manager,
          `ALTER TABLE system_logs ATTACH PARTITION "${name}" FOR VALUES FROM ('${bounds.from}') TO ('${bounds.to}')`,
        );
        created.push(name);
      }
      return created;
    });
  }

  /** Whether system_logs is partitioned and has its default partition (null on SQLite: no partitions). */
  async partitioning(): Promise<{ partitioned: boolean; hasDefault: boolean } | null> {
    if (!this.postgres) return null;
    const [row] = await this.on({ primary: true }, (m) =>
      queryRows<{ partitioned: unknown; defaults: unknown }>(
        m,
        `SELECT (SELECT COUNT(*) FROM pg_partitioned_table WHERE partrelid = 'system_logs'::regclass) AS partitioned,
                (SELECT COUNT(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'system_logs'::regclass
                   AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT') AS defaults`,
      ),
    );
    return { partitioned: Number(row?.partitioned) > 0, hasDefault: Number(row?.defaults) > 0 };
  }

  /** Drops a whole partition (its rows: the count it held). */
  async dropPartition(name: string): Promise<number> {
    if (!/^system_logs_\d{4}_\d{2}$/.test(name)) throw new Error(`not a log partition: ${name}`);
    return this.uow.run(async (tx) => {
      const [row] = await queryRows<{ n: unknown }>(
        tx.manager,
        `SELECT COUNT(*) AS n FROM "${name}"`,
      );
      await execute(tx.manager, `ALTER TABLE system_logs DETACH PARTITION "${name}"`);
      await execute(tx.manager, `DROP TABLE "${name}"`);
      return Number(row?.n ?? 0);
    });
  }

  /** Deletes up to `batch` rows created before `cutoff`; how many it deleted. */
  async deleteOlderThan(cutoff: Date, batch: number): Promise<number> {
    return this.on({ primary: true }, (m) =>
      execute(
        m,
        `DELETE FROM system_logs WHERE (id, created_at) IN (
           SELECT id, created_at FROM system_logs WHERE created_at < :cutoff LIMIT ${batch})`,
        { cutoff },
      ),
    );
  }
}
