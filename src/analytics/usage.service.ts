import {
  BadRequestException,
  BeforeApplicationShutdown,
  ForbiddenException,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import { Principal } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { UsageDelta, UsageRecorder } from '../common/observability/usage-recorder';
import { PeriodicJobs } from '../common/scheduling/periodic-jobs';
import { AppConfig } from '../config/app-config';
import { UsageQueryDto } from './dto/usage.query.dto';
import { UsageReportResponse } from './dto/usage.response';
import { USAGE_COUNTERS, UsageCounts, UsageIncrement, UsageRepository } from './usage.repository';
import { waitAtMost } from '../common/scheduling/shutdown-wait';

export const USAGE_FLUSH_JOB = 'analytics-usage-flush';
/** The longest range GET /v1/analytics/usage answers, in days (inclusive). */
export const MAX_USAGE_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;
/** Per-flush statement size (rows). */
const FLUSH_BATCH = 500;

const zero = (): UsageCounts => ({
  tasksCreated: 0,
  tasksCompleted: 0,
  tasksFailed: 0,
  computeUnitsConsumed: 0,
  apiCalls: 0,
});

/**
 * Usage per user and UTC day. Implements the UsageRecorder port (tasks and billing report
 * their deltas) and counts API calls (ApiCallCounter); both are aggregated in memory per
 * (user, day) and added to usage_analytics every USAGE_FLUSH_SECONDS and at shutdown, as
 * increments — correct with any number of instances. A failed flush keeps its counts for the
 * next one.
 */
@Injectable()
export class UsageService extends UsageRecorder implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('UsageService');
  private pending = new Map<string, UsageIncrement>();
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly repository: UsageRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
  ) {
    super();
  }

  onModuleInit(): void {
    this.jobs.register({
      name: USAGE_FLUSH_JOB,
      everySeconds: this.config.analytics.usageFlushSeconds,
      run: () => this.flush(),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Bounded: the listener closes only after this returns (shutdown-wait.ts); the flush goes on.
    await waitAtMost(this.flush());
  }

  record(delta: UsageDelta): void {
    this.add(delta.userId, {
      tasksCreated: delta.tasksCreated ?? 0,
      tasksCompleted: delta.tasksCompleted ?? 0,
      tasksFailed: delta.tasksFailed ?? 0,
      computeUnitsConsumed: delta.computeUnits ?? 0,
      apiCalls: delta.apiCalls ?? 0,
    });
  }

  /** One API call by `userId` (counted in memory, flushed with the rest). */
  countApiCall(userId: string): void {
    this.add(userId, { ...zero(), apiCalls: 1 });
  }

  /** Adds everything buffered so far to usage_analytics (also the periodic job and shutdown). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.write(batch);
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  async report(principal: Principal, query: UsageQueryDto): Promise<UsageReportResponse> {
    const userId = query.userId?.toLowerCase() ?? principal.userId;
    if (userId !== principal.userId && !principal.isAdmin) {
      throw new ForbiddenException('Only a platform admin may read the usage of another user');
    }
    const to = query.to ?? this.clock.now().toISOString().slice(0, 10);
    const from = query.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
    for (const [field, value] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
        throw new BadRequestException({
          detail: `${field} is not a calendar day`,
          errors: [{ field, message: `${field} must be a calendar day (YYYY-MM-DD)` }],
        });
      }
    }
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
    if (days < 1) {
      throw new BadRequestException({
        detail: 'from must not be after to',
        errors: [{ field: 'from', message: 'from must not be after to' }],
      });
    }
    if (days > MAX_USAGE_RANGE_DAYS) {
      throw new BadRequestException({
        detail: `The range covers ${days} days; at most ${MAX_USAGE_RANGE_DAYS}`,
        errors: [{ field: 'to', message: `range must cover at most ${MAX_USAGE_RANGE_DAYS} days` }],
      });
    }
    const rows = await this.repository.findDays(userId, from, to);
    const totals = zero();
    for (const row of rows) for (const c of USAGE_COUNTERS) totals[c] += row[c];
    return { userId, from, to, days: rows, totals };
  }

  private add(userId: string, counts: UsageCounts): void {
    const date = this.clock.now().toISOString().slice(0, 10);
    const key = `${userId}|${date}`;
    const current = this.pending.get(key) ?? { userId, date, ...zero() };
    for (const c of USAGE_COUNTERS) current[c] += counts[c];
    this.pending.set(key, current);
  }

  private async write(batch: UsageIncrement[]): Promise<void> {
    for (let i = 0; i < batch.length; i += FLUSH_BATCH) {
      const chunk = batch.slice(i, i + FLUSH_BATCH);
      try {
        await this.repository.addAll(chunk);
      } catch (error) {
        // One bad row (a user deleted meanwhile: FK) must not hold back the others.
        for (const one of chunk) {
          try {
            await this.repository.addAll([one]);
          } catch (rowError) {
            if (isForeignKeyViolation(rowError)) continue;
            this.log.warn(`usage not written yet: ${(rowError as Error).message}`);
            this.requeue(one);
          }
        }
        if (!isForeignKeyViolation(error)) this.log.debug?.(`usage batch retried row by row`);
      }
    }
  }

  private requeue(inc: UsageIncrement): void {
    const key = `${inc.userId}|${inc.date}`;
    const current = this.pending.get(key) ?? { ...inc, ...zero() };
    for (const c of USAGE_COUNTERS) current[c] += inc[c];
    this.pending.set(key, current);
  }
}

function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
