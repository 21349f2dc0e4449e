import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { PreparedQueries } from './prepared-queries';
import type { Tx } from './unit-of-work';

/**
 * Where a repository method runs. The one way to say it, on every method that needs it:
 * - `tx`: inside a unit of work (UnitOfWork.run), on its connection;
 * - `primary`: on the primary even with read replicas (DATABASE_READ_URLS), for reads that
 *   decide access or a write, read back a write, or feed a cache — a replica may lag behind.
 * Neither: the default (a plain read may go to a replica).
 */
export interface QueryOptions {
  tx?: Tx;
  primary?: boolean;
}

/** Id and timestamps of a new row, all from our side (the clock is injected; nothing is read back). */
export interface NewRowStamp {
  id: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What every SQL repository extends (README, "Adding a module"). It holds no generic CRUD on
 * purpose: each method is named after its use case, and tenant-scoped methods take the tenant
 * id first, so no query can forget it.
 */
export abstract class SqlRepository {
  private preparedQueries?: PreparedQueries;

  protected constructor(
    protected readonly dataSource: DataSource,
    protected readonly clock: Clock,
  ) {}

  /** Runs `work` on the manager `options` ask for (see QueryOptions). */
  protected async on<T>(
    options: QueryOptions | undefined,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    if (options?.tx) return work(options.tx.manager);
    if (!options?.primary || !this.replicated) return work(this.dataSource.manager);
    const runner = this.dataSource.createQueryRunner('master');
    try {
      return await work(runner.manager);
    } finally {
      await runner.release();
    }
  }

  protected stamp(): NewRowStamp {
    const now = this.clock.now();
    return { id: randomUUID(), createdAt: now, updatedAt: now };
  }

  protected get postgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  /** Opt-in for measured hot paths (see PreparedQueries). */
  protected get prepared(): PreparedQueries {
    return (this.preparedQueries ??= new PreparedQueries(this.dataSource));
  }

  private get replicated(): boolean {
    return (this.dataSource.driver as { isReplicated?: boolean }).isReplicated === true;
  }
}

/** SQLite hands back datetime text (UTC, "YYYY-MM-DD HH:MM:SS.SSS"); PostgreSQL a Date. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}
