import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** PostgreSQL isolation levels a unit may ask for (SQLite is always serialisable). */
export type Isolation = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/**
 * An open transaction. Repositories of any module take it as their last argument (`tx?: Tx`)
 * and run on `tx.manager`, so a service can call another module's exported service inside
 * the same unit (a task's status change and its compute-unit charge commit together).
 */
export interface Tx {
  readonly manager: EntityManager;
}

export interface UnitOptions {
  /** Join this unit instead of opening one: how a callee takes part in its caller's transaction. */
  within?: Tx;
  /** PostgreSQL only; default READ COMMITTED. */
  isolation?: Isolation;
}

/** The unit the current async context runs in (set for the whole callback of run()). */
const current = new AsyncLocalStorage<Tx>();

/**
 * One primitive for atomic work across modules: `uow.run(async (tx) => …)` commits when the
 * callback resolves and rolls back when it throws.
 *
 * Why an explicit transaction handle, not AsyncLocalStorage alone: which statements belong to
 * a transaction stays visible in the signatures (`tx?: Tx`), and a repository cannot end up in
 * someone else's transaction by being called from inside it. AsyncLocalStorage is used only
 * underneath: to refuse a nested run() that was not handed the outer unit (it would deadlock on
 * SQLite and silently commit separately on PostgreSQL), and for the SQLite gate below.
 *
 * - PostgreSQL: a real transaction on one pooled connection of the primary, isolation per use.
 * - SQLite: TypeORM shares one connection between every request, so a transaction held across
 *   awaits would take in other requests' statements. The gate makes every statement from
 *   outside the open unit wait until it commits or rolls back (one writer, `BEGIN IMMEDIATE`),
 *   so concurrent requests never interleave inside a transaction; units run one at a time.
 *
 * Nesting: pass `{ within: tx }` to join the outer unit; run() without it inside a unit throws.
 */
@Injectable()
export class UnitOfWork {
  private readonly gate: SqliteGate | null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.gate = dataSource.options.type === 'postgres' ? null : SqliteGate.of(dataSource);
  }

  async run<T>(work: (tx: Tx) => Promise<T>, options: UnitOptions = {}): Promise<T> {
    if (options.within) return work(options.within);
    if (current.getStore()) {
      throw new Error('UnitOfWork.run inside a unit: pass { within: tx } to join it');
    }
    if (this.gate) return this.gate.exclusive((runner) => this.transact(runner, work));
    const runner = this.dataSource.createQueryRunner('master');
    try {
      return await this.transact(runner, work, options.isolation);
    } finally {
      await runner.release();
    }
  }

  private async transact<T>(
    runner: QueryRunner,
    work: (tx: Tx) => Promise<T>,
    isolation?: Isolation,
  ): Promise<T> {
    const tx: Tx = { manager: runner.manager };
    return current.run(tx, async () => {
      await runner.startTransaction(isolation);
      try {
        const result = await work(tx);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        // The original error is the one to report: a rollback on a dead connection fails too.
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    });
  }
}

interface SqliteRunner extends QueryRunner {
  query(query: string, parameters?: unknown[], structured?: boolean): Promise<never>;
}

/**
 * SQLite: one unit at a time, and while it is open every other statement on the shared
 * connection waits. Installed once per DataSource by wrapping its single query runner's
 * query(): the one place every TypeORM statement (QueryBuilder, repository, raw) passes.
 */
class SqliteGate {
  private static readonly gates = new WeakMap<DataSource, SqliteGate>();
  /** Settles when the open unit ends; null when none is open. */
  private open: Promise<void> | null = null;
  private readonly runner: SqliteRunner;

  static of(dataSource: DataSource): SqliteGate {
    let gate = SqliteGate.gates.get(dataSource);
    if (!gate) SqliteGate.gates.set(dataSource, (gate = new SqliteGate(dataSource)));
    return gate;
  }

  private constructor(dataSource: DataSource) {
    this.runner = dataSource.createQueryRunner() as SqliteRunner;
    const query = this.runner.query.bind(this.runner);
    this.runner.query = async (sql, parameters, structured) => {
      const inUnit = current.getStore() !== undefined;
      if (!inUnit) while (this.open) await this.open;
      // The one writer takes the write lock up front: no upgrade from a read lock can fail later
      // (another process on the same file, e.g. the CLI, gets SQLITE_BUSY at BEGIN instead).
      return query(
        inUnit && sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE' : sql,
        parameters,
        structured,
      );
    };
  }

  async exclusive<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    while (this.open) await this.open;
    let release!: () => void;
    this.open = new Promise<void>((resolve) => (release = resolve));
    try {
      return await work(this.runner);
    } finally {
      this.open = null;
      release();
    }
  }
}
