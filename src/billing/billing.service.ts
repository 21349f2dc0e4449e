import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  Logger,
  NotFoundException,
  Optional,
} from '@nestjs/common';
import { Principal } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { SystemEventLog } from '../common/observability/system-event-log';
import { UsageRecorder } from '../common/observability/usage-recorder';
import { CursorPageQueryDto, decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { Tx, UnitOfWork } from '../database/unit-of-work';
import { BillingRepository, NewPeriod } from './billing.repository';
import { QuotaExceededException } from './billing-problems';
import {
  LedgerEntryResponse,
  PlanResponse,
  SubscriptionResponse,
  toLedgerEntryResponse,
  toPlanResponse,
  toSubscriptionResponse,
} from './dto/billing.response';
import { PlanRow, SubscriptionRow } from './subscription-row';

/** Every user's default plan; paid plans arrive by webhook (or a platform admin). */
export const FREE_PLAN = 'free';
/** The plans the Billing migration seeds (db:check verifies they are there). */
export const SEEDED_PLANS = [FREE_PLAN, 'starter', 'professional', 'enterprise'] as const;
/** Length of a billing period. */
export const PERIOD_MS = 30 * 24 * 60 * 60 * 1000;
/** Largest amount one call may charge or refund (a bound well above any plan). */
export const MAX_UNITS_PER_CALL = 1_000_000;

/** What the tasks module asks before creating a task. */
export type TaskAllowance =
  | { allowed: true; maxConcurrentTasks: number; remainingComputeUnits: number }
  | {
      allowed: false;
      reason: 'quota-exceeded' | 'concurrency-limit';
      maxConcurrentTasks: number;
      remainingComputeUnits: number;
    };

export interface BillingCallOptions {
  /** Join the caller's unit of work (a task's status change and its charge commit together). */
  tx?: Tx;
}

/** The next period that contains `now`, continuing from `end` in whole periods. */
export function nextPeriod(end: Date, now: Date): NewPeriod {
  const elapsed = Math.max(0, now.getTime() - end.getTime());
  const start = end.getTime() + Math.floor(elapsed / PERIOD_MS) * PERIOD_MS;
  return { start: new Date(start), end: new Date(start + PERIOD_MS) };
}

function assertUnits(units: number): void {
  if (!Number.isSafeInteger(units) || units <= 0 || units > MAX_UNITS_PER_CALL) {
    throw new BadRequestException({
      detail: `compute units must be a positive integer up to ${MAX_UNITS_PER_CALL}`,
      errors: [{ field: 'units', message: 'must be a positive integer' }],
    });
  }
}

/**
 * Plans, subscriptions and compute units; the only caller of BillingRepository. Every user has
 * exactly one active subscription: started with the free plan at registration, or on first use
 * (an insert that cannot make two). Periods roll over lazily on first use after their end;
 * a subscription cancelled at period end falls back to free then. Time comes from the Clock.
 *
 * Methods other modules call take `{ tx }` and join that unit of work.
 */
@Injectable()
export class BillingService {
  private readonly log = new Logger('Billing');

  constructor(
    private readonly billing: BillingRepository,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    @Optional() private readonly usage?: UsageRecorder,
    @Optional() private readonly events?: SystemEventLog,
  ) {}

  // ── plans and the caller's subscription ──────────────────────────────────

  /** db:check: a seeded plan that is missing, or a free plan that is not active; one line each. */
  async seedProblems(): Promise<string[]> {
    const plans = new Map((await this.billing.findPlans(false)).map((p) => [p.id, p]));
    const problems = SEEDED_PLANS.filter((id) => !plans.has(id)).map(
      (id) => `subscription plan ${id} is missing (seeded by the Billing migration)`,
    );
    if (plans.has(FREE_PLAN) && !plans.get(FREE_PLAN)!.isActive)
      problems.push(`subscription plan ${FREE_PLAN} is not active (every new user gets it)`);
    return problems;
  }

  async listPlans(): Promise<PlanResponse[]> {
    return (await this.billing.findPlans(true)).map(toPlanResponse);
  }

  async getSubscription(userId: string): Promise<SubscriptionResponse> {
    return toSubscriptionResponse(await this.current(userId));
  }

  /** Platform admins may switch to any plan; anyone else only to free (paid plans come by webhook). */
  async changePlan(principal: Principal, planId: string): Promise<SubscriptionResponse> {
    if (principal.via === 'api_key') {
      throw new ForbiddenException('Plans are changed with a signed-in session, not an API key');
    }
    const plan = await this.billing.findPlan(planId);
    if (!plan || !plan.isActive) throw new NotFoundException('Plan not found');
    if (plan.id !== FREE_PLAN && !principal.isAdmin) {
      throw new ForbiddenException(
        'Only the free plan can be chosen here; paid plans are bought through checkout',
      );
    }
    const row = await this.switchPlan(principal.userId, plan, 'api');
    return toSubscriptionResponse(row);
  }

  /** Cancels at the end of the current period (then the free plan applies). Idempotent. */
  async cancelAtPeriodEnd(principal: Principal): Promise<SubscriptionResponse> {
    if (principal.via === 'api_key') {
      throw new ForbiddenException('Subscriptions are cancelled with a signed-in session');
    }
    const row = await this.current(principal.userId);
    if (!row.cancelAtPeriodEnd) {
      await this.billing.update(row.id, {
        cancelAtPeriodEnd: true,
        cancelledAt: this.clock.now(),
      });
      this.planEvent(principal.userId, `subscription ${row.planId} cancelled at period end`, {
        planId: row.planId,
        source: 'api',
      });
    }
    return toSubscriptionResponse(await this.current(principal.userId));
  }

  /** The current period's ledger, newest first, keyset-paged. */
  async usageLedger(userId: string, query: CursorPageQueryDto): Promise<Page<LedgerEntryResponse>> {
    const cursor = decodeCursor(query.cursor);
    const row = await this.current(userId);
    const rows = await this.billing.findLedgerPage(
      userId,
      row.id,
      row.currentPeriodStart,
      row.currentPeriodEnd,
      query.limit,
      cursor,
    );
    return toPage(rows, query.limit, toLedgerEntryResponse);
  }

  // ── exported to other modules ────────────────────────────────────────────

  /**
   * The user's active subscription in its current period: created (free) when missing, rolled
   * over (or fallen back to free) when its period has ended.
   */
  async current(userId: string, options: BillingCallOptions = {}): Promise<SubscriptionRow> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const row = await this.billing.findActive(userId, { tx: options.tx });
      const now = this.clock.now();
      if (!row) {
        await this.billing.insertActiveIfAbsent(
          userId,
          FREE_PLAN,
          { start: now, end: new Date(now.getTime() + PERIOD_MS) },
          { tx: options.tx },
        );
        continue;
      }
      if (row.currentPeriodEnd > now) return row;
      const period = nextPeriod(row.currentPeriodEnd, now);
      if (row.cancelAtPeriodEnd) {
        await this.uow.run(
          async (tx) => {
            if (await this.billing.expire(row.id, { tx })) {
              await this.billing.insertActiveIfAbsent(userId, FREE_PLAN, period, { tx });
            }
          },
          { within: options.tx },
        );
        this.planEvent(userId, `subscription ${row.planId} ended; back to ${FREE_PLAN}`, {
          from: row.planId,
          to: FREE_PLAN,
          source: 'rollover',
        });
      } else {
        await this.billing.rollOver(row.id, period, { tx: options.tx });
      }
    }
    throw new ConflictException('The subscription changed concurrently; retry');
  }

  /** Starts the free subscription of a new user (registration); nothing when one exists. */
  async ensureSubscription(userId: string): Promise<void> {
    await this.current(userId);
  }

  /**
   * Locks the user's subscription row for the rest of the unit `tx` (PostgreSQL: SELECT … FOR
   * UPDATE; SQLite units are serial anyway), so per-user checks that follow — counting active
   * tasks, then inserting one — cannot interleave with another unit doing the same.
   */
  async lockSubscription(userId: string, tx: Tx): Promise<SubscriptionRow> {
    await this.current(userId, { tx });
    const row = await this.billing.findActive(userId, { tx, lock: true });
    if (!row) throw new ConflictException('The subscription changed concurrently; retry');
    return row;
  }

  /** Whether the user may start one more task given `activeTaskCount` pending or running tasks. */
  async canCreateTask(
    userId: string,
    activeTaskCount: number,
    options: BillingCallOptions = {},
  ): Promise<TaskAllowance> {
    const row = await this.current(userId, options);
    const remainingComputeUnits = Math.max(0, row.plan.monthlyComputeUnits - row.computeUnitsUsed);
    const maxConcurrentTasks = row.plan.maxConcurrentTasks;
    if (remainingComputeUnits <= 0) {
      return {
        allowed: false,
        reason: 'quota-exceeded',
        maxConcurrentTasks,
        remainingComputeUnits,
      };
    }
    if (activeTaskCount >= maxConcurrentTasks) {
      return {
        allowed: false,
        reason: 'concurrency-limit',
        maxConcurrentTasks,
        remainingComputeUnits,
      };
    }
    return { allowed: true, maxConcurrentTasks, remainingComputeUnits };
  }

  /**
   * Charges `units` compute units to the user's current period, all or nothing: one conditional
   * UPDATE (`used + units <= limit`) and its ledger row, atomically, so `used` never exceeds the
   * limit whatever runs concurrently. 402 (quota-exceeded) when they do not fit. With
   * `upTo: true` charges what is left when less than `units` remains (possibly 0: nothing is
   * written). Answers the amount charged. `units` must be a positive integer (400 otherwise).
   */
  async consumeComputeUnits(
    userId: string,
    units: number,
    taskId: string | null,
    reason: string,
    options: BillingCallOptions & { upTo?: boolean } = {},
  ): Promise<number> {
    assertUnits(units);
    if (options.upTo) {
      return this.uow.run(
        async (tx) => {
          const row = await this.lockSubscription(userId, tx);
          const take = Math.min(units, row.plan.monthlyComputeUnits - row.computeUnitsUsed);
          if (take <= 0) return 0;
          await this.billing.applyDelta(row, take, taskId, reason, tx);
          return this.recorded(userId, take, options);
        },
        { within: options.tx },
      );
    }
    let result = await this.billing.charge(userId, units, taskId, reason, { tx: options.tx });
    if (!result) {
      // No active subscription yet, or its period ended: set it up, then try once more.
      await this.current(userId, options);
      result = await this.billing.charge(userId, units, taskId, reason, { tx: options.tx });
    }
    if (!result) {
      throw new QuotaExceededException(
        `Not enough compute units left in this billing period for ${units} CU`,
      );
    }
    return this.recorded(userId, result.charged, options);
  }

  /** Gives back up to `units` compute units of the current period (never below 0). Answers the amount refunded. */
  async refund(
    userId: string,
    units: number,
    taskId: string | null,
    reason: string,
    options: BillingCallOptions = {},
  ): Promise<number> {
    assertUnits(units);
    return this.uow.run(
      async (tx) => {
        const row = await this.lockSubscription(userId, tx);
        const give = Math.min(units, row.computeUnitsUsed);
        if (give <= 0) return 0;
        await this.billing.applyDelta(row, -give, taskId, reason, tx);
        return give;
      },
      { within: options.tx },
    );
  }

  // ── used by the webhook handler ──────────────────────────────────────────

  async planByVariant(variantId: string): Promise<PlanRow | null> {
    return this.billing.findPlanByVariant(variantId);
  }

  /**
   * A paid subscription started or renewed: the plan applies from now for a new period (used
   * CU back to 0), linked to the provider's subscription id.
   */
  async startPaidPeriod(
    userId: string,
    plan: PlanRow,
    period: NewPeriod,
    providerSubscriptionId: string | null,
    tx: Tx,
  ): Promise<void> {
    const row = await this.lockSubscription(userId, tx);
    await this.billing.update(
      row.id,
      {
        planId: plan.id,
        period,
        cancelAtPeriodEnd: false,
        cancelledAt: null,
        ...(providerSubscriptionId ? { lemonSqueezySubscriptionId: providerSubscriptionId } : {}),
      },
      { tx },
    );
    if (row.planId !== plan.id) {
      this.planEvent(userId, `plan ${row.planId} → ${plan.id}`, {
        from: row.planId,
        to: plan.id,
        source: 'webhook',
      });
    }
  }

  /** The provider changed the plan (same period) and/or the cancellation flag. */
  async updatePaid(
    userId: string,
    changes: { plan?: PlanRow; cancelAtPeriodEnd?: boolean },
    tx: Tx,
  ): Promise<void> {
    const row = await this.lockSubscription(userId, tx);
    await this.billing.update(
      row.id,
      {
        ...(changes.plan ? { planId: changes.plan.id } : {}),
        ...(changes.cancelAtPeriodEnd !== undefined
          ? {
              cancelAtPeriodEnd: changes.cancelAtPeriodEnd,
              cancelledAt: changes.cancelAtPeriodEnd ? this.clock.now() : null,
            }
          : {}),
      },
      { tx },
    );
    if (changes.plan && changes.plan.id !== row.planId) {
      this.planEvent(userId, `plan ${row.planId} → ${changes.plan.id}`, {
        from: row.planId,
        to: changes.plan.id,
        source: 'webhook',
      });
    }
  }

  /** The paid subscription is over now: back to free for a new period. */
  async expireToFree(userId: string, tx: Tx): Promise<void> {
    const row = await this.lockSubscription(userId, tx);
    if (row.planId === FREE_PLAN && !row.lemonSqueezySubscriptionId) return;
    const now = this.clock.now();
    await this.billing.expire(row.id, { tx });
    await this.billing.insertActiveIfAbsent(
      userId,
      FREE_PLAN,
      { start: now, end: new Date(now.getTime() + PERIOD_MS) },
      { tx },
    );
    this.planEvent(userId, `subscription ${row.planId} expired; back to ${FREE_PLAN}`, {
      from: row.planId,
      to: FREE_PLAN,
      source: 'webhook',
    });
  }

  // ── internals ────────────────────────────────────────────────────────────

  private async switchPlan(
    userId: string,
    plan: PlanRow,
    source: string,
  ): Promise<SubscriptionRow> {
    const row = await this.current(userId);
    if (row.planId !== plan.id || row.cancelAtPeriodEnd) {
      await this.billing.update(row.id, {
        planId: plan.id,
        cancelAtPeriodEnd: false,
        cancelledAt: null,
      });
      if (row.planId !== plan.id) {
        this.planEvent(userId, `plan ${row.planId} → ${plan.id}`, {
          from: row.planId,
          to: plan.id,
          source,
        });
      }
    }
    return this.current(userId);
  }

  /** Usage is recorded here only for charges that committed on their own; a caller's unit records its own. */
  private recorded(userId: string, units: number, options: BillingCallOptions): number {
    if (!options.tx && units > 0) this.usage?.record({ userId, computeUnits: units });
    return units;
  }

  private planEvent(userId: string, message: string, details: Record<string, unknown>): void {
    this.log.log({ userId, ...details }, message);
    this.events?.log({ service: 'billing', level: 'INFO', message, details, userId });
  }
}
