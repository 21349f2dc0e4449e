import {
  CanActivate,
  ExecutionContext,
  Injectable,
  ServiceUnavailableException,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';

/** The one command that applies pending migrations (README, readiness, the API's 503, the CLI). */
export const MIGRATE_UP = 'npm run cli -- migrate up';

const ALLOW_PENDING = 'cornerstone:allow-pending-migrations';
/** Routes that must answer while migrations are pending (health probes report them instead). */
export const AllowPendingMigrations = () => SetMetadata(ALLOW_PENDING, true);

/** While migrations are pending, they are looked for again at most this often. */
const RECHECK_MS = 5_000;

/**
 * Whether the database has every migration of this build. With DB_MIGRATE_ON_START the app
 * does not start otherwise, so it is open from the start; without, it asks the database on
 * first use, and while migrations are pending it asks again at most every 5 s, so a
 * `migrate up` run from elsewhere opens it without a restart. Once open it stays open (new
 * migrations arrive with a new build and a restart).
 */
@Injectable()
export class MigrationsGate {
  private open: boolean;
  private pendingNames: string[] = [];
  private checkedAt = 0;
  private checking: Promise<string[]> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.open = config.database.migrateOnStart;
  }

  /** Names of the migrations not applied yet (empty when none). */
  async pending(now = Date.now()): Promise<string[]> {
    if (this.open) return [];
    if (this.checkedAt && now - this.checkedAt < RECHECK_MS) return this.pendingNames;
    this.checking ??= this.read().finally(() => (this.checking = null));
    return this.checking;
  }

  /** True once every migration is known to be applied (no I/O). */
  get isOpen(): boolean {
    return this.open;
  }

  /** A database that cannot be read throws (the ProblemFilter makes that a 503 as well). */
  private async read(): Promise<string[]> {
    const runner = this.dataSource.createQueryRunner();
    let applied: Set<string>;
    try {
      const rows = (await runner.hasTable('migrations'))
        ? ((await runner.query(`SELECT name FROM migrations`)) as Array<{ name: string }>)
        : [];
      applied = new Set(rows.map((row) => row.name));
    } finally {
      await runner.release();
    }
    this.pendingNames = this.dataSource.migrations
      .map((m) => m.name ?? m.constructor.name)
      .filter((name) => !applied.has(name));
    this.checkedAt = Date.now();
    this.open = this.pendingNames.length === 0;
    return this.pendingNames;
  }
}

/**
 * Global guard, first in the chain: while migrations are pending every API request answers
 * 503 problem+json naming the command to run (instead of a 500 from a missing table).
 */
@Injectable()
export class MigrationsGuard implements CanActivate {
  constructor(
    private readonly gate: MigrationsGate,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.gate.isOpen || context.getType() !== 'http') return true;
    const pending = await this.gate.pending();
    if (pending.length === 0) return true;
    if (
      this.reflector.getAllAndOverride<boolean>(ALLOW_PENDING, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      return true;
    }
    throw new ServiceUnavailableException(
      `The database has ${pending.length} pending migration(s) (${pending.join(', ')}); run: ${MIGRATE_UP}`,
    );
  }
}
