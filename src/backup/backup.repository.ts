import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { Tx } from '../database/unit-of-work';
import { BACKUP_LOG_SERVICE, isJsonColumn } from './backup-format';
import { BackupTable } from './table-order';

/** Bound parameters per statement: SQLite allows 32766. */
const SQLITE_MAX_PARAMETERS = 32_000;
/** Rows per INSERT beyond which a bigger statement stops paying off. */
const MAX_ROWS_PER_INSERT = 2_000;
/** PostgreSQL binds one array per column: the row count is bounded by memory only. */
const PG_ROWS_PER_INSERT = 2_000;

export type RawRow = Record<string, unknown>;

/** Every statement of backup and restore: whole-table reads by primary key, bulk writes. */
@Injectable()
export class BackupRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get kind(): 'postgres' | 'sqlite' {
    return this.dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  /** Rows per bulk INSERT for a table of this many columns (SQLite: within its parameter limit). */
  rowsPerInsert(columnCount: number): number {
    if (this.kind === 'postgres') return PG_ROWS_PER_INSERT;
    return Math.max(
      1,
      Math.min(MAX_ROWS_PER_INSERT, Math.floor(SQLITE_MAX_PARAMETERS / columnCount)),
    );
  }

  /**
   * One consistent snapshot for a whole backup, without blocking writers: a read-only
   * REPEATABLE READ transaction on PostgreSQL, a deferred (read) transaction on SQLite (WAL).
   */
  async inSnapshot<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      if (this.kind === 'postgres') {
        await runner.startTransaction('REPEATABLE READ');
        await runner.query('SET TRANSACTION READ ONLY');
      } else {
        await runner.startTransaction();
      }
      try {
        return await work(runner);
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  /** The applied migrations, oldest first (empty on a database never migrated). */
  async appliedMigrations(runner?: QueryRunner | EntityManager): Promise<string[]> {
    const rows = (await (runner ?? this.dataSource)
      .query(`SELECT name FROM migrations ORDER BY id`)
      .catch(() => [])) as { name: string }[];
    return rows.map((row) => row.name);
  }

  async count(on: QueryRunner | EntityManager, table: BackupTable): Promise<number> {
    const [row] = (await on.query(`SELECT COUNT(*) AS n FROM ${this.quote(table.name)}`)) as {
      n: unknown;
    }[];
    return Number(row.n);
  }

  /**
   * Rows that make a restore target "not empty": all of them, except the system events of
   * earlier backup and restore runs (a failed restore records itself in the database it
   * refused to change; that must not block the next attempt).
   */
  async countData(tx: Tx, table: BackupTable): Promise<number> {
    if (table.name !== 'system_logs') return this.count(tx.manager, table);
    const [row] = (await tx.manager.query(
      `SELECT COUNT(*) AS n FROM system_logs WHERE service <> ${this.placeholder(0)}`,
      [BACKUP_LOG_SERVICE],
    )) as { n: unknown }[];
    return Number(row.n);
  }

  /**
   * The next `limit` rows after `after` (the last row's primary key values; null: from the
   * start), by primary key: a keyset read, so every page costs the same however deep it is.
   * On PostgreSQL system_logs is the partitioned parent: reading it reads every partition.
   */
  async page(
    runner: QueryRunner,
    table: BackupTable,
    after: unknown[] | null,
    limit: number,
  ): Promise<RawRow[]> {
    const columns = table.columns
      .map((c) =>
        this.kind === 'postgres' && isJsonColumn(c)
          ? `${this.quote(c.databaseName)}::text AS ${this.quote(c.databaseName)}`
          : this.quote(c.databaseName),
      )
      .join(', ');
    const key = table.primaryKey.map((c) => this.quote(c));
    const params: unknown[] = after ? [...after] : [];
    const where = after
      ? `WHERE (${key.join(', ')}) > (${after.map((_, i) => this.placeholder(i)).join(', ')})`
      : '';
    params.push(limit);
    const sql = `SELECT ${columns} FROM ${this.quote(table.name)} ${where} ORDER BY ${key.join(', ')} LIMIT ${this.placeholder(params.length - 1)}`;
    return (await runner.query(sql, params)) as RawRow[];
  }

  /**
   * One bulk INSERT (rows already in the driver's persisted form, in `columns` order).
   * PostgreSQL: one array parameter per column, unnested (`INSERT … SELECT * FROM unnest($1::uuid[], …)`):
   * a handful of parameters to parse and plan whatever the row count. SQLite: a multi-row VALUES.
   */
  async insertRows(
    tx: Tx,
    table: BackupTable,
    columns: ColumnMetadata[],
    rows: unknown[][],
  ): Promise<void> {
    if (rows.length === 0) return;
    const names = columns.map((c) => this.quote(c.databaseName)).join(', ');
    if (this.kind === 'postgres') {
      const arrays = columns.map((_, i) => rows.map((row) => row[i]));
      const casts = columns.map(
        (c, i) => `$${i + 1}::${this.dataSource.driver.normalizeType(c)}[]`,
      );
      await tx.manager.query(
        `INSERT INTO ${this.quote(table.name)} (${names}) SELECT * FROM unnest(${casts.join(', ')})`,
        arrays,
      );
      return;
    }
    const params: unknown[] = [];
    const tuples = rows.map((row) => {
      for (const value of row) params.push(value);
      return `(${row.map(() => '?').join(', ')})`;
    });
    await tx.manager.query(
      `INSERT INTO ${this.quote(table.name)} (${names}) VALUES ${tuples.join(', ')}`,
      params,
    );
  }

  async deleteAll(tx: Tx, table: BackupTable): Promise<void> {
    await tx.manager.query(`DELETE FROM ${this.quote(table.name)}`);
  }

  /**
   * SQLite checks foreign keys at commit for the rest of this transaction, so rows of a
   * self-referencing table restore in any order. PostgreSQL's constraints are not deferrable:
   * there the file's table order (parents first) is what keeps every insert valid.
   */
  async deferForeignKeys(tx: Tx): Promise<void> {
    if (this.kind === 'sqlite') await tx.manager.query('PRAGMA defer_foreign_keys = ON');
  }

  /**
   * Bulk-load settings for this transaction only (PostgreSQL): a larger GIN pending list, so
   * the trigram indexes of leads take the rows in big merges instead of many small ones.
   */
  async prepareBulkLoad(tx: Tx): Promise<void> {
    if (this.kind === 'postgres') {
      await tx.manager.query(`SET LOCAL gin_pending_list_limit = '64MB'`);
    }
  }

  /** Driver conversions: raw → hydrated (Date, boolean, parsed JSON) and back. */
  get driver() {
    return this.dataSource.driver;
  }

  private quote(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  }

  private placeholder(index: number): string {
    return this.kind === 'postgres' ? `$${index + 1}` : '?';
  }
}
